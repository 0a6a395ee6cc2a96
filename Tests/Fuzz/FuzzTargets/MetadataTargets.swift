// SPDX-License-Identifier: Apache-2.0
import Metadata
import Model

extension FuzzTarget {
    /// One metadata body through every parser (docs/metadata.md "Keys").
    static let metadataValues = FuzzTarget(name: "metadata-values", reads: "one IMDS answer body, through every MetadataParser function") { bytes in
        let body = text(bytes)
        _ = MetadataParser.plainValue(body)
        if let id = try? MetadataParser.identifier(body) {
            try expect(!id.isEmpty && id.utf8.count <= 128 && isPrintable(id), "identifier \(id)")
        }
        if let macs = try? MetadataParser.macList(body) {
            try expect(!macs.isEmpty && Set(macs).count == macs.count, "macList \(macs)")
        }
        for item in MetadataParser.listItems(body) {
            try expect(!item.isEmpty && !item.contains(where: { ",[]\"\n\r".contains($0) }), "list item \(item)")
        }
        for role in [AddressRole.host, .gateway] {
            if let a = try? MetadataParser.ipv4(body, as: role) {
                try expect(IPAddress.v4(a).unusableReason(as: role) == nil, "ipv4 \(a) as \(role)")
                try expect((try? MetadataParser.ipv4(a.description, as: role)) == a, "ipv4 \(a) does not read back")
            }
            if let a = try? MetadataParser.ipv6(body, as: role) {
                try expect(IPAddress.v6(a).unusableReason(as: role) == nil, "ipv6 \(a) as \(role)")
                try expect((try? MetadataParser.ipv6(a.description, as: role)) == a, "ipv6 \(a) does not read back")
            }
        }
        if let list = try? MetadataParser.ipv4List(body) {
            try checkList(list, limit: MetadataLimits.ipv4sPerENI) { IPAddress.v4($0) }
        }
        if let list = try? MetadataParser.ipv6List(body) {
            try checkList(list, limit: MetadataLimits.ipv6sPerENI) { IPAddress.v6($0) }
        }
        for family in IPFamily.allCases {
            if let list = try? MetadataParser.prefixList(body, family: family) {
                try expect(list.items.count <= MetadataLimits.prefixesPerENI, "\(list.items.count) prefixes over the limit")
                try expect(Set(list.items).count == list.items.count, "duplicate prefixes")
                for prefix in list.items + list.overLimit {
                    try expect(prefix.family == family && prefix == prefix.network && prefix.unusableDelegatedReason(in: nil) == nil,
                               "prefix \(prefix) kept")
                    try expect((try? MetadataParser.prefix(prefix.description, family: family)) == prefix, "prefix \(prefix) does not read back")
                }
            }
            if let prefix = try? MetadataParser.cidr(body, family: family) {
                try expect(prefix.family == family && prefix.length > 0 && prefix == prefix.network, "cidr \(prefix)")
            }
        }
        if let length = try? MetadataParser.netmask(body) {
            try expect((1...32).contains(length), "netmask length \(length)")
        }
    }

    private static func checkList<T>(_ list: ParsedList<T>, limit: Int, _ address: (T) -> IPAddress) throws {
        try expect(list.items.count <= limit, "\(list.items.count) items over the limit \(limit)")
        try expect(list.overLimit.isEmpty || list.items.count == limit, "entries dropped below the limit")
        try expect(Set(list.items).count == list.items.count, "duplicate items")
        for item in list.items + list.overLimit {
            try expect(address(item).unusableReason(as: .host) == nil, "\(address(item)) listed as usable")
        }
        for rejected in list.rejected {
            try expect(rejected.item.count <= 200, "a rejected item shown with \(rejected.item.count) characters")
        }
    }

    /// One ENI's answers, cut at NULs into the keys of `ENIKey.allCases` in order; a field that
    /// is one byte 0x01 is a 404, 0x02 a failed read; keys past the last field were not read.
    /// The first byte's low bit says whether the ENI is the primary one.
    static let eniAssembler = FuzzTarget(name: "eni-assembler", reads: "one ENI's key answers (NUL-separated), through ENIAssembler") { bytes in
        guard let first = bytes.first else { return }
        var results: [ENIKey: KeyResult] = [:]
        for (key, field) in zip(ENIKey.allCases, fields(UnsafeRawBufferPointer(rebasing: bytes.dropFirst()))) {
            results[key] = field == "\u{1}" ? .missing : field == "\u{2}" ? .failed(reason: "timed out") : .value(field)
        }
        let mac = MACAddress("00:16:3e:00:00:02")!
        let isPrimary = first & 1 == 1
        let (eni, diagnostics) = ENIAssembler.assemble(mac: mac, isPrimary: isPrimary, results: results)
        try expect(eni.mac == mac, "the MAC changed")
        try expect(eni.privateIPv4s.count <= MetadataLimits.ipv4sPerENI && eni.ipv6s.count <= MetadataLimits.ipv6sPerENI,
                   "\(eni.privateIPv4s.count) IPv4 and \(eni.ipv6s.count) IPv6 addresses kept")
        for address in eni.privateIPv4s.map(IPAddress.v4) + eni.ipv6s.map(IPAddress.v6) + [eni.primaryIPv4.map(IPAddress.v4)].compactMap({ $0 }) {
            try expect(address.unusableReason(as: .host) == nil, "\(address) kept as a host address")
        }
        for prefix in eni.ipv4Prefixes where eni.ipv4Subnet != nil {
            try expect(prefix.unusableDelegatedReason(in: eni.ipv4Subnet) == nil, "\(prefix) kept outside \(eni.ipv4Subnet!)")
        }
        for prefix in eni.ipv6Prefixes where eni.ipv6Subnet != nil {
            try expect(prefix.unusableDelegatedReason(in: eni.ipv6Subnet) == nil, "\(prefix) kept outside \(eni.ipv6Subnet!)")
        }
        if eni.completeness.isComplete {
            try expect(eni.id != nil && eni.primaryIPv4 != nil && eni.ipv4Subnet != nil, "complete without id, primary or subnet: \(eni)")
            try expect(isPrimary || eni.gateway != nil, "a complete secondary ENI without a gateway")
            try expect(eni.privateIPv4s.contains(eni.primaryIPv4!), "complete, but private-ipv4s lacks the primary")
            try expect(diagnostics.isEmpty, "complete, with diagnostics \(diagnostics)")
        }
        for d in diagnostics {
            try expect(d.value.count <= 200, "a diagnostic shows \(d.value.count) characters")
        }
        // One line per rejected entry: no more than a body could hold, but never one per byte.
        try expect(diagnostics.count <= 2 * ENIKey.allCases.count + MetadataLimits.ipv4sPerENI + MetadataLimits.ipv6sPerENI,
                   "\(diagnostics.count) diagnostics for one ENI")
    }
}
