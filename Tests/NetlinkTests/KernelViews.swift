// SPDX-License-Identifier: Apache-2.0
import Foundation
import Model
import TestSupport

/// The kernel as `ip -N -j` prints it and as `snapshot()` reports it, both projected onto the
/// same one-line strings, so that a test compares the two whole sets and a difference prints as
/// the lines that differ. `ip` reads the kernel with its own parser: agreement is evidence about
/// the kernel, not about our code agreeing with itself.
enum View {
    static func link(_ l: Link) -> String {
        "\(l.index) \(l.name) mac=\(l.mac.map { "\($0)" } ?? "-") up=\(l.isUp) carrier=\(l.hasCarrier) mtu=\(l.mtu)"
            + " kind=\(l.kind ?? "-") master=\(l.master.map { String($0) } ?? "-")"
    }

    /// Flags compared: what is configured and what stays (tentative passes while DAD runs).
    static let addressFlags: [(AddressFlags, String)] = [
        (.noPrefixRoute, "noprefixroute"), (.noDAD, "nodad"), (.permanent, "permanent"), (.secondary, "secondary"),
    ]

    static func address(_ a: Address) -> String {
        let flags = addressFlags.filter { a.flags.contains($0.0) }.map(\.1)
        return "\(a.ifindex) \(a.prefix) [\(flags.joined(separator: ","))]"
    }

    static func route(_ r: Route) -> String {
        var words = ["table=\(r.table)", "\(r.destination)", "type=\(r.type.rawValue)"]
        if let gateway = r.gateway { words.append("via=\(gateway)") }
        if let index = r.ifindex { words.append("dev=\(index)") }
        words.append("proto=\(r.proto)")
        words.append("scope=\(r.scope.rawValue)")
        if let source = r.preferredSource { words.append("src=\(source)") }
        if let metric = r.metric { words.append("metric=\(metric)") }
        if r.onlink { words.append("onlink") }
        return words.joined(separator: " ")
    }

    static func rule(_ r: Rule) -> String {
        var words = ["\(r.family)", "pref=\(r.priority)", "from=\(r.source.map { "\($0)" } ?? "all")",
                     "table=\(r.table)", "action=\(r.action.rawValue)", "proto=\(r.proto)"]
        if let suppress = r.suppressPrefixLength { words.append("suppress=\(suppress)") }
        if r.hasOtherSelectors { words.append("other") }
        return words.joined(separator: " ")
    }
}

/// `ip -N -j` output of a namespace, projected like `View`.
struct IPView {
    let ns: NetworkNamespace

    /// `ip -d` for the link kind (`linkinfo.info_kind`); `master` is printed as a name.
    func links() async throws -> Set<String> {
        let links = try await ns.json("-N", "-d", "link", "show")
        let indexes = Dictionary(links.map { ($0["ifname"] as! String, $0["ifindex"] as! Int) }, uniquingKeysWith: { a, _ in a })
        return Set(links.map { l in
            let flags = l["flags"] as? [String] ?? []
            let mac = (l["address"] as? String).flatMap { $0.count == 17 ? $0 : nil } ?? "-"
            let kind = (l["linkinfo"] as? [String: Any])?["info_kind"] as? String ?? "-"
            let master = (l["master"] as? String).map { indexes[$0].map { String($0) } ?? "?\($0)" } ?? "-"
            return "\(l["ifindex"] as! Int) \(l["ifname"] as! String) mac=\(mac) up=\(flags.contains("UP")) "
                + "carrier=\(flags.contains("LOWER_UP")) mtu=\(l["mtu"] as! Int) kind=\(kind) master=\(master)"
        })
    }

    func addresses() async throws -> Set<String> {
        var lines: Set<String> = []
        for l in try await ns.json("-N", "address", "show") {
            for a in l["addr_info"] as? [[String: Any]] ?? [] {
                var flags: [String] = []
                if a["noprefixroute"] as? Bool == true { flags.append("noprefixroute") }
                if a["nodad"] as? Bool == true { flags.append("nodad") }
                if a["dynamic"] as? Bool != true { flags.append("permanent") }
                if a["secondary"] as? Bool == true || a["temporary"] as? Bool == true { flags.append("secondary") }
                lines.insert("\(l["ifindex"] as! Int) \(a["local"] as! String)/\(a["prefixlen"] as! Int) [\(flags.joined(separator: ","))]")
            }
        }
        return lines
    }

    /// Routes of every table, both families. `ip` leaves out what is default: table main, type
    /// unicast, scope universe, and the metric when the kernel sent none.
    func routes() async throws -> Set<String> {
        var lines: Set<String> = []
        for family in ["-4", "-6"] {
            let indexes = try await linkIndexes()
            for r in try await ns.json(family, "-N", "-d", "route", "show", "table", "all") {
                var dst = r["dst"] as! String
                if dst == "default" { dst = family == "-4" ? "0.0.0.0/0" : "::/0" }
                if !dst.contains("/") { dst += family == "-4" ? "/32" : "/128" }
                var words = ["table=\(r["table"] as? String ?? "254")", dst, "type=\(r["type"] as? String ?? "1")"]
                if let gateway = r["gateway"] as? String { words.append("via=\(gateway)") }
                if let dev = r["dev"] as? String { words.append("dev=\(indexes[dev] ?? -1)") }
                words.append("proto=\(r["protocol"] as? String ?? "0")")
                words.append("scope=\(r["scope"] as? String ?? "0")")
                if let source = r["prefsrc"] as? String { words.append("src=\(source)") }
                if let metric = r["metric"] as? Int { words.append("metric=\(metric)") }
                if (r["flags"] as? [String] ?? []).contains("onlink") { words.append("onlink") }
                lines.insert(words.joined(separator: " "))
            }
        }
        return lines
    }

    /// Selectors eni-agent never uses; `ip` prints each under its own key when set.
    static let otherSelectors: Set<String> = ["dst", "iif", "oif", "fwmark", "tos", "dsfield", "ipproto", "sport", "dport",
                                              "uid_start", "l3mdev", "goto", "tun_id", "not"]

    func rules() async throws -> Set<String> {
        var lines: Set<String> = []
        for (flag, family) in [("-4", "v4"), ("-6", "v6")] {
            for r in try await ns.json(flag, "-N", "-d", "rule", "show") {
                var from = "all"
                if let src = r["src"] as? String, src != "all" {
                    from = "\(src)/\(r["srclen"] as? Int ?? (family == "v4" ? 32 : 128))"
                }
                var words = ["\(family)", "pref=\(r["priority"] as! Int)", "from=\(from)", "table=\(r["table"] as? String ?? "0")",
                             "action=\(r["action"] == nil ? 1 : -1)", "proto=\(r["protocol"] as? String ?? "0")"]
                if let suppress = r["suppress_prefixlen"] as? Int { words.append("suppress=\(suppress)") }
                if !Self.otherSelectors.isDisjoint(with: r.keys) { words.append("other") }
                lines.insert(words.joined(separator: " "))
            }
        }
        return lines
    }

    func linkIndexes() async throws -> [String: Int] {
        Dictionary(try await ns.json("link", "show").map { ($0["ifname"] as! String, $0["ifindex"] as! Int) },
                   uniquingKeysWith: { first, _ in first })
    }

    /// `ip -j route show table <table>` of one family (routes only; for presence checks).
    func routes(table: String, family: String = "-4") async throws -> [[String: Any]] {
        try await ns.json(family, "-N", "route", "show", "table", table)
    }

    func linkFlags(_ dev: String) async throws -> [String] {
        try await ns.json("link", "show", "dev", dev).first?["flags"] as? [String] ?? []
    }

    func addressInfo(_ dev: String) async throws -> [[String: Any]] {
        try await ns.json("address", "show", "dev", dev).first?["addr_info"] as? [[String: Any]] ?? []
    }

    func rules(family: String) async throws -> [[String: Any]] {
        try await ns.json(family, "-N", "-d", "rule", "show")
    }
}

/// Kernel objects as the one-line strings of `View`.
extension KernelState {
    var linkLines: Set<String> { Set(links.map(View.link)) }
    var addressLines: Set<String> { Set(addresses.map(View.address)) }
    var routeLines: Set<String> { Set(routes.map(View.route)) }
    var ruleLines: Set<String> { Set(rules.map(View.rule)) }
}

/// What two sets do not share, for a failure message.
func difference(_ ours: Set<String>, _ theirs: Set<String>) -> String {
    "only in snapshot: \(ours.subtracting(theirs).sorted())\nonly in ip: \(theirs.subtracting(ours).sorted())"
}
