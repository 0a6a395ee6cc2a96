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

    /// One read of links, addresses, routes of every table and rules, both families.
    public func snapshot() throws(NetlinkError) -> KernelState {
        let links = try socket.dump(Int32(RTM_GETLINK), what: "links") { Messages.link($0) }
        let names = Dictionary(links.map { ($0.index, $0.name) }, uniquingKeysWith: { first, _ in first })
        let addresses = try socket.dump(Int32(RTM_GETADDR), what: "addresses") { Messages.address($0, names: names) }
        let routes = try socket.dump(Int32(RTM_GETROUTE), what: "routes") { Messages.route($0, names: names) }
        let rules = try socket.dump(Int32(RTM_GETRULE), what: "rules") { Messages.rule($0) }
        return KernelState(links: links, addresses: addresses, routes: routes, rules: rules)
    }

    /// Applies each op in order, pipelined; one failure never stops the others; one result per
    /// op. EEXIST on an add and ENOENT/ESRCH/EADDRNOTAVAIL on a removal mean the kernel already
    /// looks as the op wants: `.alreadyInPlace`.
    public func apply(_ ops: [Op]) -> [OpResult] {
        var results = [OpResult?](repeating: nil, count: ops.count)
        var messages: [OpaquePointer] = []
        var indexes: [Int] = []
        for (i, op) in ops.enumerated() {
            if let msg = Requests.message(for: op) {
                messages.append(msg)
                indexes.append(i)
            } else {
                results[i] = OpResult(op: op, outcome: .failed(errno: ENOMEM, message: "cannot build the netlink request"))
            }
        }
        for (i, answer) in zip(indexes, socket.transact(messages)) {
            results[i] = OpResult(op: ops[i], outcome: Self.outcome(ops[i], answer))
        }
        return results.map { $0! }
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
