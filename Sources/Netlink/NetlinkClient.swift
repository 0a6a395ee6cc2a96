import CNetlink
public import Model
#if canImport(Glibc)
import Glibc
#endif

/// The kernel's routing state over one rtnetlink socket: read it whole, change it op by op.
/// The only owner of libnl handles for these calls; callers see `Model` values only.
public actor NetlinkClient {
    private let socket: RouteSocket

    /// Opens a NETLINK_ROUTE socket in this process's network namespace, or, with
    /// `namespacePath` (e.g. "/run/netns/x"), in that one.
    public init(namespacePath: String? = nil) throws(NetlinkError) {
        socket = try RouteSocket(namespacePath: namespacePath)
    }

    /// One read of links, addresses, routes of every table and rules, both families. Throws
    /// rather than return a part: a dump that failed, or a message libnl could not parse.
    public func snapshot() throws(NetlinkError) -> KernelState {
        let links = try socket.dump(.links) { msg throws(NetlinkError) in
            Messages.isLinkMessage(msg) ? try Messages.link(msg) : nil
        }
        let names = Dictionary(links.map { ($0.index, $0.name) }, uniquingKeysWith: { first, _ in first })
        let addresses = try socket.dump(.addresses) { msg throws(NetlinkError) in
            try Messages.address(msg) { names[$0] }
        }
        let routes = try socket.dump(.routes) { msg throws(NetlinkError) in
            try Messages.route(msg) { names[$0] }
        }
        let rules = try socket.dump(.rules) { msg throws(NetlinkError) in try Messages.rule(msg) }
        return KernelState(links: links, addresses: addresses, routes: routes, rules: rules)
    }

    /// Applies each op in order, pipelined; one failure never stops the others; one result per
    /// op. EEXIST on an add and ENOENT/ESRCH/EADDRNOTAVAIL on a removal mean the kernel already
    /// looks as the op wants: `.alreadyInPlace`.
    public func apply(_ ops: [Op]) -> [OpResult] {
        let answers = socket.transact(count: ops.count) { Requests.message(for: ops[$0]) }
        return zip(ops, answers).map { OpResult(op: $0, outcome: Self.outcome($0, $1)) }
    }

    static func outcome(_ op: Op, _ answer: RouteSocket.Answer) -> OpOutcome {
        switch answer.errno {
        case 0:
            return .applied
        case EEXIST where !op.isRemoval:
            return .alreadyInPlace
        case ENOENT where op.isRemoval, ESRCH where op.isRemoval, EADDRNOTAVAIL where op.isRemoval:
            return .alreadyInPlace
        default:
            var message = String(cString: strerror(answer.errno))
            if let detail = answer.message, !detail.isEmpty { message += ": \(detail)" }
            return .failed(errno: answer.errno, message: message)
        }
    }
}
