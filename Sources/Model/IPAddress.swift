// SPDX-License-Identifier: Apache-2.0
// IP addresses as plain values: strict parsing (what inet_pton accepts, nothing looser) and the
// canonical text form (RFC 5952 for IPv6) used in logs, `ip`-syntax rendering and JSON.

public enum IPFamily: String, Sendable, Hashable, Codable, CaseIterable {
    case v4 = "inet"
    case v6 = "inet6"
}

/// An IPv4 address; `value` holds the four octets with the first in the most significant byte.
public struct IPv4Address: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        value = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Dotted decimal with exactly four parts, each 0...255 without leading zeros (inet_pton).
    public init?(_ text: some StringProtocol) {
        var result: UInt32 = 0
        var parts = 0
        var digits = 0
        var part: UInt32 = 0
        var leadingZero = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if leadingZero { return nil }
                if digits == 0 && byte == UInt8(ascii: "0") { leadingZero = true }
                part = part * 10 + UInt32(byte - UInt8(ascii: "0"))
                digits += 1
                if part > 255 { return nil }
            case UInt8(ascii: "."):
                guard digits > 0, parts < 3 else { return nil }
                result = result << 8 | part
                parts += 1
                part = 0
                digits = 0
                leadingZero = false
            default:
                return nil
            }
        }
        guard digits > 0, parts == 3 else { return nil }
        value = result << 8 | part
    }

    public var octets: [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }

    public var description: String {
        "\(value >> 24).\(value >> 16 & 0xff).\(value >> 8 & 0xff).\(value & 0xff)"
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.value < rhs.value }
}

/// An IPv6 address as two 64-bit halves, first byte most significant.
public struct IPv6Address: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Inlinable so that callers (netlink parsing: one per address, route and rule) get a
    /// specialized loop instead of a generic one through witness tables.
    @inlinable
    public init(bytes: some Collection<UInt8>) {
        precondition(bytes.count == 16, "an IPv6 address has 16 bytes")
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (i, byte) in bytes.enumerated() {
            if i < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        self.high = high
        self.low = low
    }

    /// RFC 4291 section 2.2 text forms, including `::` and a trailing dotted IPv4 part.
    /// Zone indices (`%eth0`) are rejected: metadata never carries them.
    public init?(_ text: some StringProtocol) {
        let string = String(text)
        guard !string.isEmpty, string.utf8.count <= 45 else { return nil }
        var groups: [UInt16] = []
        var gapIndex: Int?
        let halves = string.split(separator: "::", maxSplits: 2, omittingEmptySubsequences: false)
        guard halves.count <= 2 else { return nil }

        func parseGroups(_ part: Substring, allowIPv4Tail: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            let fields = part.split(separator: ":", omittingEmptySubsequences: false)
            for (i, field) in fields.enumerated() {
                if allowIPv4Tail, i == fields.count - 1, field.contains(".") {
                    guard let v4 = IPv4Address(field) else { return nil }
                    out.append(UInt16(v4.value >> 16))
                    out.append(UInt16(v4.value & 0xffff))
                    continue
                }
                guard (1...4).contains(field.utf8.count), let group = UInt16(field, radix: 16),
                    field.utf8.allSatisfy({ $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "-") })
                else { return nil }
                out.append(group)
            }
            return out
        }

        if halves.count == 2 {
            guard let head = parseGroups(halves[0], allowIPv4Tail: false),
                let tail = parseGroups(halves[1], allowIPv4Tail: true),
                head.count + tail.count <= 7
            else { return nil }
            groups = head
            gapIndex = head.count
            groups += tail
        } else {
            guard let all = parseGroups(halves[0], allowIPv4Tail: true), all.count == 8 else {
                return nil
            }
            groups = all
        }
        if let gapIndex {
            groups.insert(contentsOf: repeatElement(0, count: 8 - groups.count), at: gapIndex)
        }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (i, group) in groups.enumerated() {
            if i < 4 { high = high << 16 | UInt64(group) } else { low = low << 16 | UInt64(group) }
        }
        self.high = high
        self.low = low
    }

    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 {
            let shift = UInt64(56 - 8 * i)
            out[i] = UInt8(truncatingIfNeeded: high >> shift)
            out[i + 8] = UInt8(truncatingIfNeeded: low >> shift)
        }
        return out
    }

    var groups: [UInt16] {
        var out = [UInt16](repeating: 0, count: 8)
        for i in 0..<4 {
            let shift = UInt64(48 - 16 * i)
            out[i] = UInt16(truncatingIfNeeded: high >> shift)
            out[i + 4] = UInt16(truncatingIfNeeded: low >> shift)
        }
        return out
    }

    /// RFC 5952: lower case, no leading zeros, the longest run (first on a tie) of two or more
    /// zero groups as `::`.
    public var description: String {
        let groups = self.groups
        var bestStart = -1
        var bestLength = 1
        var i = 0
        while i < 8 {
            if groups[i] == 0 {
                var j = i
                while j < 8 && groups[j] == 0 { j += 1 }
                if j - i > bestLength {
                    bestStart = i
                    bestLength = j - i
                }
                i = j
            } else {
                i += 1
            }
        }
        func hex(_ range: Range<Int>) -> String {
            groups[range].map { String($0, radix: 16) }.joined(separator: ":")
        }
        if bestStart < 0 { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }
}

public enum IPAddress: Sendable, Hashable, Comparable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    public init?(_ text: some StringProtocol) {
        if let v4 = IPv4Address(text) {
            self = .v4(v4)
        } else if let v6 = IPv6Address(text) {
            self = .v6(v6)
        } else {
            return nil
        }
    }

    public var family: IPFamily {
        switch self {
        case .v4: .v4
        case .v6: .v6
        }
    }

    public var bitWidth: UInt8 { family == .v4 ? 32 : 128 }

    public var bytes: [UInt8] {
        switch self {
        case .v4(let a): a.octets
        case .v6(let a): a.bytes
        }
    }

    @inlinable
    public init?(bytes: some Collection<UInt8>) {
        switch bytes.count {
        case 4:
            var i = bytes.makeIterator()
            self = .v4(IPv4Address(i.next()!, i.next()!, i.next()!, i.next()!))
        case 16:
            self = .v6(IPv6Address(bytes: bytes))
        default:
            return nil
        }
    }

    public var description: String {
        switch self {
        case .v4(let a): a.description
        case .v6(let a): a.description
        }
    }

    /// The address with every bit past `length` cleared.
    public func masked(to length: UInt8) -> IPAddress {
        switch self {
        case .v4(let a):
            let mask: UInt32 = length == 0 ? 0 : ~UInt32(0) << UInt32(32 - min(length, 32))
            return .v4(IPv4Address(a.value & mask))
        case .v6(let a):
            let l = UInt64(min(length, 128))
            let highMask: UInt64 = l == 0 ? 0 : (l >= 64 ? ~0 : ~UInt64(0) << (64 - l))
            let lowMask: UInt64 = l <= 64 ? 0 : (l == 128 ? ~0 : ~UInt64(0) << (128 - l))
            return .v6(IPv6Address(high: a.high & highMask, low: a.low & lowMask))
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        switch (lhs, rhs) {
        case (.v4(let a), .v4(let b)): a < b
        case (.v6(let a), .v6(let b)): a < b
        case (.v4, .v6): true
        case (.v6, .v4): false
        }
    }
}

/// Addresses encode as their text form in JSON (state file, `--json` output).
protocol TextCodable: Codable, CustomStringConvertible {
    init?(_ text: String)
}

extension TextCodable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not a valid \(Self.self): \(text)"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension IPv4Address: TextCodable {}
extension IPv6Address: TextCodable {}
extension IPAddress: TextCodable {}
