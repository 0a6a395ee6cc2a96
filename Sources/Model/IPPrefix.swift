// SPDX-License-Identifier: Apache-2.0
/// An address with a prefix length: both an interface address (`192.168.1.202/24`) and a
/// network (`192.168.1.0/24`, see `network`). The host bits are kept as given.
public struct IPPrefix: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var address: IPAddress
    public var length: UInt8

    public init?(address: IPAddress, length: UInt8) {
        guard length <= address.bitWidth else { return nil }
        self.address = address
        self.length = length
    }

    /// `a.b.c.d/n` or `x::y/n`. Without `/n` the host prefix (/32, /128) is meant.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else { return nil }
        var length = address.bitWidth
        if parts.count == 2 {
            let digits = parts[1]
            guard (1...3).contains(digits.utf8.count),
                digits.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
                !(digits.utf8.count > 1 && digits.utf8.first == UInt8(ascii: "0")),
                let value = UInt8(digits)
            else { return nil }
            length = value
        }
        self.init(address: address, length: length)
    }

    public static func host(_ address: IPAddress) -> IPPrefix {
        IPPrefix(address: address, length: address.bitWidth)!
    }

    public static func defaultRoute(_ family: IPFamily) -> IPPrefix {
        switch family {
        case .v4: IPPrefix(address: .v4(IPv4Address(0)), length: 0)!
        case .v6: IPPrefix(address: .v6(IPv6Address(high: 0, low: 0)), length: 0)!
        }
    }

    public var family: IPFamily { address.family }
    public var isDefault: Bool { length == 0 }
    public var isHost: Bool { length == address.bitWidth }

    /// The network this prefix belongs to, host bits cleared.
    public var network: IPPrefix { IPPrefix(address: address.masked(to: length), length: length)! }

    public func contains(_ other: IPAddress) -> Bool {
        other.family == family && other.masked(to: length) == address.masked(to: length)
    }

    public var description: String { "\(address)/\(length)" }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.address, lhs.length) < (rhs.address, rhs.length)
    }
}

extension IPPrefix: TextCodable {}

/// A 48-bit Ethernet address. Parsed case-insensitively from `aa:bb:cc:dd:ee:ff`, printed lower case.
public struct MACAddress: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var bytes: [UInt8]

    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 6 else { return nil }
        self.bytes = Array(bytes)
    }

    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard part.utf8.count == 2, part.utf8.allSatisfy({ $0.isHexDigit }),
                let byte = UInt8(part, radix: 16)
            else { return nil }
            bytes.append(byte)
        }
        self.bytes = bytes
    }

    /// A unicast MAC from a manufacturer's block (neither the group bit nor the locally
    /// administered bit set), and not all zeros: what a NIC has. Software links (veth, bridge,
    /// tap) get random locally administered ones.
    public var isUniversalUnicast: Bool {
        bytes[0] & 0x03 == 0 && bytes != [0, 0, 0, 0, 0, 0]
    }

    public var description: String {
        bytes.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined(separator: ":")
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }
}

extension MACAddress: TextCodable {}

extension UInt8 {
    var isHexDigit: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
            || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(self)
    }
}
