// SPDX-License-Identifier: Apache-2.0
// A change to the kernel, and its one rendering in `ip` syntax: planner tests compare these
// lines, `--dry-run` prints them, logs carry them (docs/design.md §9). `ip -batch` accepts them.

public enum Op: Sendable, Hashable, Codable {
    case setLinkUp(ifindex: Int32, ifname: String)
    case addAddress(Address)
    case removeAddress(Address)
    /// `replace` updates an owned route with the same key in place (NLM_F_REPLACE).
    case addRoute(Route, replace: Bool = false)
    case removeRoute(Route)
    case addRule(Rule)
    case removeRule(Rule)

    public var isRemoval: Bool {
        switch self {
        case .removeAddress, .removeRoute, .removeRule: true
        case .setLinkUp, .addAddress, .addRoute, .addRule: false
        }
    }

    public var family: IPFamily? {
        switch self {
        case .setLinkUp: nil
        case .addAddress(let a), .removeAddress(let a): a.family
        case .addRoute(let r, _), .removeRoute(let r): r.family
        case .addRule(let r), .removeRule(let r): r.family
        }
    }
}

extension Op: CustomStringConvertible {
    public var description: String {
        let six = family == .v6 ? "-6 " : ""
        switch self {
        case .setLinkUp(_, let name):
            return "link set dev \(name) up"
        case .addAddress(let a):
            return six + "address add " + Op.render(a)
        case .removeAddress(let a):
            return six + "address del " + Op.render(a)
        case .addRoute(let r, let replace):
            return six + "route \(replace ? "replace" : "add") " + Op.render(r)
        case .removeRoute(let r):
            return six + "route del " + Op.render(r)
        case .addRule(let r):
            return six + "rule add " + Op.render(r)
        case .removeRule(let r):
            return six + "rule del " + Op.render(r)
        }
    }

    public static func tableName(_ table: UInt32) -> String {
        switch table {
        case RouteTable.main: "main"
        case RouteTable.local: "local"
        case RouteTable.default: "default"
        default: String(table)
        }
    }

    public static func render(_ a: Address) -> String {
        var words = ["\(a.prefix)", "dev", a.ifname]
        if a.flags.contains(.noDAD) { words.append("nodad") }
        if a.flags.contains(.noPrefixRoute) { words.append("noprefixroute") }
        if let proto = a.proto { words += ["proto", String(proto)] }
        return words.joined(separator: " ")
    }

    public static func render(_ r: Route) -> String {
        var words: [String] = []
        switch r.type {
        case .unicast, .unspecified: break
        case .local: words.append("local")
        case .broadcast: words.append("broadcast")
        case .blackhole: words.append("blackhole")
        case .unreachable: words.append("unreachable")
        case .prohibit: words.append("prohibit")
        case .throwRoute: words.append("throw")
        case .anycast: words.append("anycast")
        case .multicast: words.append("multicast")
        case .nat: words.append("nat")
        case .other: words.append("type-\(r.type.rawValue)")
        }
        words.append(r.destination.isDefault ? "default" : "\(r.destination.network)")
        if let gateway = r.gateway { words += ["via", "\(gateway)"] }
        if let name = r.ifname ?? r.ifindex.map({ "if\($0)" }) { words += ["dev", name] }
        if r.onlink { words.append("onlink") }
        if r.scope == .link { words += ["scope", "link"] } else if r.scope == .host { words += ["scope", "host"] }
        if let src = r.preferredSource { words += ["src", "\(src)"] }
        if let metric = r.metric { words += ["metric", String(metric)] }
        words += ["table", tableName(r.table), "proto", String(r.proto)]
        return words.joined(separator: " ")
    }

    public static func render(_ r: Rule) -> String {
        var words = ["from", r.source.map { $0.isHost ? "\($0.address)" : "\($0)" } ?? "all"]
        switch r.action {
        case .toTable: words += ["lookup", tableName(r.table)]
        case .goto: words += ["goto", String(r.table)]
        case .nop: words.append("nop")
        case .blackhole: words.append("blackhole")
        case .unreachable: words.append("unreachable")
        case .prohibit: words.append("prohibit")
        case .unspecified: words += ["lookup", tableName(r.table)]
        }
        if let suppress = r.suppressPrefixLength { words += ["suppress_prefixlength", String(suppress)] }
        words += ["priority", String(r.priority), "proto", String(r.proto)]
        return words.joined(separator: " ")
    }
}

/// What applying one op did. EEXIST on an add and ENOENT/ESRCH/EADDRNOTAVAIL on a removal are
/// `alreadyInPlace`: the kernel already looks the way the op wanted (docs/design.md §4.5).
public enum OpOutcome: Sendable, Hashable, Codable {
    case applied
    case alreadyInPlace
    case failed(errno: Int32, message: String)
    /// The request was sent but its answer was lost (ENOBUFS: the socket's receive buffer
    /// overflowed): the kernel may or may not have applied it. Not a success: read the kernel
    /// again (`NetlinkClient.settle`) to learn what happened before recording anything.
    case unknown(errno: Int32, message: String)

    public var succeeded: Bool {
        switch self {
        case .applied, .alreadyInPlace: true
        case .failed, .unknown: false
        }
    }
}

public struct OpResult: Sendable, Hashable, Codable {
    public var op: Op
    public var outcome: OpOutcome

    public init(op: Op, outcome: OpOutcome) {
        self.op = op
        self.outcome = outcome
    }
}
