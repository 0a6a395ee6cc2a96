// SPDX-License-Identifier: Apache-2.0
// One pure parser per IMDS value format (docs/metadata.md "Keys"). They are public so that the planner's
// tests and fuzzers can feed them the same quirks the service produces. Each throws a
// `MetadataParseError` that says what was wrong, for the diagnostic the client logs.

public import Model

public struct MetadataParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public var problem: String
    public init(_ problem: String) { self.problem = problem }
    public var description: String { problem }
}

public enum MetadataParser {
    /// Bodies are capped by the client before they get here; the parsers refuse anything
    /// larger too, so that a fuzzer or a careless caller cannot make them chew megabytes.
    public static let maxInputBytes = 65536

    /// A plain key: the value with surrounding whitespace and newlines removed.
    public static func plainValue(_ body: String) -> String {
        trim(Substring(body))
    }

    /// An identifier (`eni-…`, `i-…`, `cn-hangzhou`, `cn-hangzhou-k`): letters, digits, `-`,
    /// `_` and `.`, at most 128 of them. Anything else (an HTML page answered with 200) is not
    /// an id and must not end up in logs or the state file as one.
    public static func identifier(_ body: String) throws(MetadataParseError) -> String {
        try checkSize(body)
        let value = plainValue(body)
        guard !value.isEmpty else { throw MetadataParseError("empty value") }
        guard value.utf8.count <= 128 else { throw MetadataParseError("identifier longer than 128 bytes") }
        guard value.utf8.allSatisfy({ $0.isASCIILetterOrDigit || "-_.".utf8.contains($0) }) else {
            throw MetadataParseError("not an identifier")
        }
        return value
    }

    /// `macs/`: one MAC per line, usually with a trailing `/`; empty lines and surrounding
    /// whitespace are ignored, case is normalised, duplicates dropped. One line that is not a MAC
    /// makes the whole list invalid: a listing we cannot fully read must not look shorter.
    public static func macList(_ body: String) throws(MetadataParseError) -> [MACAddress] {
        try macEntries(body).map(\.mac)
    }

    /// `macList` keeping each MAC as the service spelled it, for the paths of its keys.
    static func macEntries(_ body: String) throws(MetadataParseError) -> [(mac: MACAddress, spelling: String)] {
        try checkSize(body)
        var seen = Set<MACAddress>()
        var entries: [(mac: MACAddress, spelling: String)] = []
        for line in body.split(whereSeparator: \.isNewline) {
            var item = Substring(trim(line))
            if item.isEmpty { continue }
            if item.hasSuffix("/") { item = item.dropLast() }
            guard let mac = MACAddress(item) else {
                throw MetadataParseError("line \(quoted(line)) is not a MAC address")
            }
            if seen.insert(mac).inserted { entries.append((mac, String(item))) }
        }
        guard !entries.isEmpty else { throw MetadataParseError("no MAC address listed") }
        return entries
    }

    /// The raw items of a list key, docs/metadata.md's one rule for every list: strip `[`, `]` and `"`,
    /// split on `,` and newlines, trim, drop empty items.
    public static func listItems(_ body: String) -> [String] {
        // Metadata is ASCII: split its bytes (a 32-ENI poll parses ~1,900 addresses, and the
        // Character path below costs a grapheme break per byte). Anything else takes that path.
        if body.utf8.allSatisfy({ $0 < 0x80 }) {
            var items: [String] = []
            var item: [UInt8] = []
            func flush() {
                var start = item.startIndex
                var end = item.endIndex
                while start < end, asciiSpace(item[start]) { start += 1 }
                while end > start, asciiSpace(item[end - 1]) { end -= 1 }
                if start < end { items.append(String(decoding: item[start..<end], as: UTF8.self)) }
                item.removeAll(keepingCapacity: true)
            }
            for byte in body.utf8 {
                switch byte {
                case UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "\""): continue
                case UInt8(ascii: ","), 0x0a, 0x0b, 0x0c, 0x0d: flush()
                default: item.append(byte)
                }
            }
            flush()
            return items
        }
        let stripped = body.filter { $0 != "[" && $0 != "]" && $0 != "\"" }
        return stripped.split(whereSeparator: { $0 == "," || $0.isNewline })
            .map { trim($0) }
            .filter { !$0.isEmpty }
    }

    /// `private-ipv4s` (a JSON array of strings). `[]` is an empty list, not an error. An item
    /// that is not a usable host address is rejected on its own: the others stay usable.
    public static func ipv4List(_ body: String, limit: Int = MetadataLimits.ipv4sPerENI) throws(MetadataParseError) -> ParsedList<IPv4Address> {
        try checkSize(body)
        return ParsedList(listItems(body), limit: limit) { item throws(MetadataParseError) in try ipv4(item) }
    }

    /// `ipv6s` (bracketed, comma-separated, unquoted). `[]` is an empty list.
    public static func ipv6List(_ body: String, limit: Int = MetadataLimits.ipv6sPerENI) throws(MetadataParseError) -> ParsedList<IPv6Address> {
        try checkSize(body)
        return ParsedList(listItems(body), limit: limit) { item throws(MetadataParseError) in try ipv6(item) }
    }

    /// `ipv4-prefixes`, `ipv6-prefixes`. Their format for several entries is not documented, so
    /// every list form is taken: a JSON array, a bracketed unquoted list, one per line (LF or
    /// CRLF), comma- or space-separated, or a single value. Each entry must be a prefix of
    /// `family` (`a.b.c.d/n`, `x::y/n`) of a delegated length (`IPPrefix.delegatedLengths`); it is
    /// normalised (host bits cleared, IPv6 compressed), so that `fd00:0:0:0:1:0:0:0/80` and
    /// `fd00::1:0:0:0/80` are one entry. Whether it lies in the vSwitch is the assembler's check.
    public static func prefixList(_ body: String, family: IPFamily, limit: Int = MetadataLimits.prefixesPerENI)
        throws(MetadataParseError) -> ParsedList<IPPrefix>
    {
        try checkSize(body)
        let items = listItems(body).flatMap { item in
            item.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        }
        return ParsedList(items, limit: limit) { item throws(MetadataParseError) in try prefix(item, family: family) }
    }

    /// A body that holds one `address/length` of `family` (host bits as written), with its text
    /// for messages; `noun` names what was expected.
    private static func prefixText(_ body: String, family: IPFamily, noun: String) throws(MetadataParseError) -> (String, IPPrefix) {
        try checkSize(body)
        let text = plainValue(body)
        guard text.contains("/"), let prefix = IPPrefix(text) else {
            throw MetadataParseError("\(quoted(text)) is not a \(noun)")
        }
        guard prefix.family == family else {
            throw MetadataParseError("\(text) is not an \(family == .v4 ? "IPv4" : "IPv6") \(noun)")
        }
        return (text, prefix)
    }

    /// One delegated prefix of `family`, host bits cleared (`prefixList`).
    public static func prefix(_ body: String, family: IPFamily) throws(MetadataParseError) -> IPPrefix {
        let (text, prefix) = try prefixText(body, family: family, noun: "prefix")
        if let why = prefix.network.unusableDelegatedReason(in: nil) {
            throw MetadataParseError("\(text) is not a delegated prefix: \(why)")
        }
        return prefix.network
    }

    /// One IPv4 address in strict dotted decimal (no leading zeros, which some parsers read as
    /// octal) that may be configured in `role` (`IPAddress.unusableReason(as:)`).
    public static func ipv4(_ body: String, as role: AddressRole = .host) throws(MetadataParseError) -> IPv4Address {
        try checkSize(body)
        let text = plainValue(body)
        guard let address = IPv4Address(text) else {
            throw MetadataParseError("\(quoted(text)) is not an IPv4 address")
        }
        if let why = IPAddress.v4(address).unusableReason(as: role) {
            throw MetadataParseError("\(address) is \(why)")
        }
        return address
    }

    /// One IPv6 address that may be configured in `role`: never IPv4-mapped (`::ffff:a.b.c.d`,
    /// an IPv4 address in disguise), and link-local only for a gateway.
    public static func ipv6(_ body: String, as role: AddressRole = .host) throws(MetadataParseError) -> IPv6Address {
        try checkSize(body)
        let text = plainValue(body)
        guard let address = IPv6Address(text) else {
            throw MetadataParseError("\(quoted(text)) is not an IPv6 address")
        }
        if let why = IPAddress.v6(address).unusableReason(as: role) {
            throw MetadataParseError("\(text) is \(why)")
        }
        return address
    }

    /// A subnet (`vswitch-cidr-block`, `vswitch-ipv6-cidr-block`) of the given family. Host bits
    /// are accepted and cleared: the network is what the planner needs. A /0 is no vSwitch.
    public static func cidr(_ body: String, family: IPFamily) throws(MetadataParseError) -> IPPrefix {
        let (text, prefix) = try prefixText(body, family: family, noun: "CIDR block")
        guard prefix.length > 0 else { throw MetadataParseError("\(text) has prefix length 0") }
        return prefix.network
    }

    /// A dotted netmask (`255.255.255.0`) as its prefix length; the ones must be contiguous.
    public static func netmask(_ body: String) throws(MetadataParseError) -> UInt8 {
        try checkSize(body)
        let text = plainValue(body)
        guard let mask = IPv4Address(text) else {
            throw MetadataParseError("\(quoted(text)) is not a dotted netmask")
        }
        let length = UInt8((~mask.value).leadingZeroBitCount)
        let contiguous: UInt32 = length == 0 ? 0 : ~UInt32(0) << UInt32(32 - length)
        guard mask.value == contiguous else { throw MetadataParseError("\(text) is not a contiguous netmask") }
        guard length > 0 else { throw MetadataParseError("\(text) has prefix length 0") }
        return length
    }

    /// What a diagnostic shows of a value: at most 200 characters (docs/metadata.md).
    public static func truncated(_ value: some StringProtocol) -> String {
        value.count <= 200 ? String(value) : String(value.prefix(200))
    }

    static func quoted(_ value: some StringProtocol) -> String {
        "\"\(value.count <= 60 ? String(value) : String(value.prefix(60)) + "…")\""
    }

    private static func checkSize(_ body: String) throws(MetadataParseError) {
        if body.utf8.count > maxInputBytes {
            throw MetadataParseError("value of \(body.utf8.count) bytes is larger than \(maxInputBytes)")
        }
    }

    /// Whitespace as `Character.isWhitespace` sees it, within ASCII (newlines split items first).
    private static func asciiSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0d).contains(byte) }

    private static func trim(_ text: Substring) -> String {
        guard let first = text.firstIndex(where: { !$0.isWhitespace }),
            let last = text.lastIndex(where: { !$0.isWhitespace })
        else { return "" }
        return String(text[first...last])
    }
}

/// How many entries a list may hold: a little above Alibaba's documented limits (an ENI holds at
/// most 50 private IPv4 addresses, the primary included, and 10 IPv6 addresses; large instance
/// types attach a few dozen ENIs). More than that is not an answer to act on (docs/metadata.md).
public enum MetadataLimits {
    public static let ipv4sPerENI = 64
    public static let ipv6sPerENI = 16
    /// Per key: Alibaba assigns up to 10 IPv4 /28 prefixes per ENI (for IPv6 /80s no limit is
    /// published).
    public static let prefixesPerENI = 16
    public static let enis = 128
}

/// A list key's entries: the valid ones in metadata order without duplicates, one problem per
/// entry that is not valid, and the valid entries beyond the limit, which are dropped.
public struct ParsedList<Item: Sendable & Hashable>: Sendable, Hashable {
    public var items: [Item]
    public var rejected: [RejectedItem]
    public var overLimit: [Item]

    public init(items: [Item], rejected: [RejectedItem] = [], overLimit: [Item] = []) {
        self.items = items
        self.rejected = rejected
        self.overLimit = overLimit
    }

    init(_ texts: [String], limit: Int, _ parse: (String) throws(MetadataParseError) -> Item) {
        var seen = Set<Item>()
        items = []
        rejected = []
        overLimit = []
        for text in texts {
            do {
                let item = try parse(text)
                guard seen.insert(item).inserted else { continue }
                if items.count < limit { items.append(item) } else { overLimit.append(item) }
            } catch {
                rejected.append(RejectedItem(item: MetadataParser.truncated(text), problem: error.problem))
            }
        }
    }
}

public struct RejectedItem: Sendable, Hashable {
    /// The entry as listed, at most 200 characters.
    public var item: String
    public var problem: String

    public init(item: String, problem: String) {
        self.item = item
        self.problem = problem
    }
}
