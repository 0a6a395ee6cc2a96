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

    /// `private-ipv4s` (a JSON array of strings). `[]` is an empty list, not an error.
    public static func ipv4List(_ body: String) throws(MetadataParseError) -> [IPv4Address] {
        try checkSize(body)
        return try unique(listItems(body).map { item throws(MetadataParseError) in try ipv4(item) })
    }

    /// `ipv6s` (bracketed, comma-separated, unquoted). `[]` is an empty list.
    public static func ipv6List(_ body: String) throws(MetadataParseError) -> [IPv6Address] {
        try checkSize(body)
        return try unique(listItems(body).map { item throws(MetadataParseError) in try ipv6(item) })
    }

    /// One IPv4 unicast address in strict dotted decimal (no leading zeros, which some parsers
    /// read as octal).
    public static func ipv4(_ body: String) throws(MetadataParseError) -> IPv4Address {
        try checkSize(body)
        let text = plainValue(body)
        guard let address = IPv4Address(text) else {
            throw MetadataParseError("\(quoted(text)) is not an IPv4 address")
        }
        let first = address.value >> 24
        if first == 0 || first == 127 || first >= 224 {
            throw MetadataParseError("\(address) is not a unicast host address")
        }
        return address
    }

    /// One IPv6 unicast address. IPv4-mapped addresses (`::ffff:a.b.c.d`) are refused: they are
    /// an IPv4 address in disguise and cannot be configured on a link as IPv6.
    public static func ipv6(_ body: String) throws(MetadataParseError) -> IPv6Address {
        try checkSize(body)
        let text = plainValue(body)
        guard let address = IPv6Address(text) else {
            throw MetadataParseError("\(quoted(text)) is not an IPv6 address")
        }
        if address.high == 0 && address.low >> 32 == 0xffff {
            throw MetadataParseError("\(text) is an IPv4-mapped address")
        }
        if (address.high == 0 && address.low <= 1) || address.high >> 56 == 0xff {
            throw MetadataParseError("\(address) is not a unicast address")
        }
        return address
    }

    /// A subnet (`vswitch-cidr-block`, `vswitch-ipv6-cidr-block`) of the given family. Host bits
    /// are accepted and cleared: the network is what the planner needs. A /0 is no vSwitch.
    public static func cidr(_ body: String, family: IPFamily) throws(MetadataParseError) -> IPPrefix {
        try checkSize(body)
        let text = plainValue(body)
        guard text.contains("/"), let prefix = IPPrefix(text) else {
            throw MetadataParseError("\(quoted(text)) is not a CIDR block")
        }
        guard prefix.family == family else {
            throw MetadataParseError("\(text) is not an \(family == .v4 ? "IPv4" : "IPv6") CIDR block")
        }
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

    private static func unique<T: Hashable>(_ items: [T]) -> [T] {
        var seen = Set<T>()
        return items.filter { seen.insert($0).inserted }
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
