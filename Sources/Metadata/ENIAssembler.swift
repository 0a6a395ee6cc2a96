// SPDX-License-Identifier: Apache-2.0
// Turns the raw answers for one ENI's keys into an `ENI` and decides its completeness
// (docs/metadata.md table, docs/design.md §4.2). Pure: the client feeds it what it fetched or cached.

public import Model

/// The per-ENI keys the model needs. `vpc-cidr-block`, `vswitch-id` and `vpc-id` are not read at
/// all: nothing downstream uses them.
public enum ENIKey: String, Sendable, Hashable, CaseIterable {
    case networkInterfaceID = "network-interface-id"
    case primaryIPAddress = "primary-ip-address"
    case privateIPv4s = "private-ipv4s"
    case netmask
    case vswitchCIDRBlock = "vswitch-cidr-block"
    case gateway
    case ipv6s
    case ipv6Gateway = "ipv6-gateway"
    case vswitchIPv6CIDRBlock = "vswitch-ipv6-cidr-block"
    case ipv4Prefixes = "ipv4-prefixes"
    case ipv6Prefixes = "ipv6-prefixes"

    /// Keys that change only when the ENI is re-created, so are cached between reads; the
    /// address and prefix lists change whenever one is assigned and are read every time.
    public var isStable: Bool { ![.privateIPv4s, .ipv6s, .ipv4Prefixes, .ipv6Prefixes].contains(self) }
}

/// What fetching one key gave.
public enum KeyResult: Sendable, Hashable {
    case value(String)
    /// HTTP 404: what that means depends on the key (docs/metadata.md table).
    case missing
    /// No usable answer after retries: a status, a transport error, a timeout, too large.
    case failed(reason: String)
}

public enum ENIAssembler {
    /// Rejected list entries named one by one; the rest are counted. A body of junk holds
    /// thousands of entries, and each named one is a warning in the journal.
    static let rejectionsNamed = 8

    /// Every problem makes the ENI incomplete and is named in its reason; values that did
    /// parse are kept (additions that are certain may go ahead), values that did not are left
    /// out (nothing is ever guessed). In a list, each invalid entry is left out on its own and
    /// named in a diagnostic of its own; entries beyond `MetadataLimits` are dropped. A key
    /// absent from `results` counts as not read.
    public static func assemble(
        mac: MACAddress, isPrimary: Bool, results: [ENIKey: KeyResult]
    ) -> (eni: ENI, diagnostics: [MetadataDiagnostic]) {
        var problems: [String] = []
        var diagnostics: [MetadataDiagnostic] = []
        var rejectedEntries = false

        /// `missingIsProblem`: whether a 404 makes the ENI incomplete.
        func read<T>(
            _ key: ENIKey, missingIsProblem: Bool, _ parse: (String) throws(MetadataParseError) -> T
        ) -> T? {
            switch results[key] {
            case .value(let body):
                do {
                    return try parse(body)
                } catch {
                    problems.append("\(key.rawValue) invalid: \(error.problem)")
                    diagnostics.append(MetadataDiagnostic(mac: mac, key: key.rawValue, value: body, problem: error.problem))
                    return nil
                }
            case .missing:
                if missingIsProblem { problems.append("\(key.rawValue) missing") }
                return nil
            case .failed(let reason):
                problems.append("\(key.rawValue) failed: \(reason)")
                diagnostics.append(MetadataDiagnostic(mac: mac, key: key.rawValue, value: "", problem: reason))
                return nil
            case nil:
                problems.append("\(key.rawValue) not read")
                return nil
            }
        }

        /// A list key: its valid entries; each rejected entry and the entries over the cap are
        /// problems (docs/metadata.md: removals on this ENI wait while its list holds one).
        func list<T>(_ key: ENIKey, missingIsProblem: Bool, limit: Int,
                     _ parse: (String) throws(MetadataParseError) -> ParsedList<T>) -> [T]? {
            guard let parsed = read(key, missingIsProblem: missingIsProblem, parse) else { return nil }
            rejectedEntries = rejectedEntries || !parsed.rejected.isEmpty
            for rejected in parsed.rejected.prefix(rejectionsNamed) {
                problems.append("\(key.rawValue) invalid entry: \(rejected.problem)")
                diagnostics.append(MetadataDiagnostic(mac: mac, key: key.rawValue, value: rejected.item,
                                                      problem: "\(rejected.problem): entry skipped, the others are used"))
            }
            if parsed.rejected.count > rejectionsNamed {
                let more = "\(parsed.rejected.count - rejectionsNamed) more invalid entries"
                problems.append("\(key.rawValue) has \(more)")
                diagnostics.append(MetadataDiagnostic(mac: mac, key: key.rawValue, value: "", problem: "\(more) skipped, the others are used"))
            }
            if !parsed.overLimit.isEmpty {
                let dropped = parsed.overLimit.map { "\($0)" }
                let problem = "more than \(limit) entries: \(dropped.count) dropped, removals on this ENI wait"
                problems.append("\(key.rawValue) has \(problem)")
                diagnostics.append(MetadataDiagnostic(mac: mac, key: key.rawValue, value: dropped.joined(separator: ","), problem: problem))
            }
            return parsed.items
        }

        let id = read(.networkInterfaceID, missingIsProblem: true, MetadataParser.identifier)
        let primary = read(.primaryIPAddress, missingIsProblem: true) { body throws(MetadataParseError) in try MetadataParser.ipv4(body) }
        let privateIPv4s = list(.privateIPv4s, missingIsProblem: true, limit: MetadataLimits.ipv4sPerENI) { body throws(MetadataParseError) in
            try MetadataParser.ipv4List(body)
        }
        // (With an entry rejected the list is known to be wrong already: one diagnostic is enough.)
        if let primary, let privateIPv4s, !rejectedEntries, !privateIPv4s.contains(primary) {
            let problem = "does not include primary-ip-address \(primary)"
            problems.append("private-ipv4s \(problem)")
            if case .value(let body) = results[.privateIPv4s] {
                diagnostics.append(MetadataDiagnostic(mac: mac, key: ENIKey.privateIPv4s.rawValue, value: body, problem: problem))
            }
        }

        let vswitch = read(.vswitchCIDRBlock, missingIsProblem: false) { body throws(MetadataParseError) in
            try MetadataParser.cidr(body, family: .v4)
        }
        let maskLength = read(.netmask, missingIsProblem: false, MetadataParser.netmask)
        if results[.vswitchCIDRBlock] == .missing && results[.netmask] == .missing {
            problems.append("netmask and vswitch-cidr-block both missing")
        }
        var subnet = vswitch
        if subnet == nil, let maskLength, let primary {
            subnet = IPPrefix(address: .v4(primary), length: maskLength)?.network
        }

        let gateway = read(.gateway, missingIsProblem: !isPrimary) { body throws(MetadataParseError) in
            try MetadataParser.ipv4(body, as: .gateway)
        }
        let ipv6s = list(.ipv6s, missingIsProblem: false, limit: MetadataLimits.ipv6sPerENI) { body throws(MetadataParseError) in
            try MetadataParser.ipv6List(body)
        } ?? []
        let ipv6Gateway = read(.ipv6Gateway, missingIsProblem: false) { body throws(MetadataParseError) in
            try MetadataParser.ipv6(body, as: .gateway)
        }
        let ipv6Subnet = read(.vswitchIPv6CIDRBlock, missingIsProblem: false) { body throws(MetadataParseError) in
            try MetadataParser.cidr(body, family: .v6)
        }

        // Delegated prefixes: a 404 is none. Each entry must lie in the ENI's vSwitch of its
        // family (where metadata names one); one that does not is skipped like an invalid entry.
        func prefixes(_ key: ENIKey, _ family: IPFamily, in vswitch: IPPrefix?) -> [IPPrefix] {
            list(key, missingIsProblem: false, limit: MetadataLimits.prefixesPerENI) { body throws(MetadataParseError) in
                var parsed = try MetadataParser.prefixList(body, family: family)
                guard let vswitch else { return parsed }
                var inside: [IPPrefix] = []
                for prefix in parsed.items {
                    if let why = prefix.unusableDelegatedReason(in: vswitch) {
                        parsed.rejected.append(RejectedItem(item: "\(prefix)", problem: "\(prefix): \(why)"))
                    } else {
                        inside.append(prefix)
                    }
                }
                parsed.items = inside
                return parsed
            } ?? []
        }
        let ipv4Prefixes = prefixes(.ipv4Prefixes, .v4, in: subnet)
        let ipv6Prefixes = prefixes(.ipv6Prefixes, .v6, in: ipv6Subnet)

        let eni = ENI(
            mac: mac, id: id, primaryIPv4: primary, privateIPv4s: privateIPv4s ?? [], ipv4Subnet: subnet,
            gateway: gateway, ipv6s: ipv6s, ipv6Gateway: ipv6Gateway, ipv6Subnet: ipv6Subnet,
            ipv4Prefixes: ipv4Prefixes, ipv6Prefixes: ipv6Prefixes,
            completeness: problems.isEmpty ? .complete : .incomplete(reason: problems.joined(separator: "; "))
        )
        return (eni, diagnostics)
    }
}
