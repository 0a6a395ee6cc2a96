// SPDX-License-Identifier: Apache-2.0
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

    /// With a receive buffer of `receiveBuffer` bytes (the kernel's minimum if smaller): tests
    /// make it tiny to have ACKs overflow it.
    init(namespacePath: String?, receiveBuffer: Int32) throws(NetlinkError) {
        socket = try RouteSocket(namespacePath: namespacePath, receiveBuffer: receiveBuffer)
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
    ///
    /// An op whose answer the kernel sent but the socket lost (its receive buffer overflowed)
    /// is `.unknown`: it may well have been applied. Pass the results through `settle(_:)`,
    /// which reads the kernel once and says what each such op did, before recording ownership.
    public func apply(_ ops: [Op]) -> [OpResult] {
        let answers = socket.transact(count: ops.count) { Requests.message(for: ops[$0]) }
        return zip(ops, answers).map { OpResult(op: $0, outcome: Self.outcome($0, $1)) }
    }

    /// `results` with every `.unknown` outcome replaced by what one fresh read of the kernel
    /// shows (`settled(_:in:)`); the others as they are. No read when nothing is unknown.
    public func settle(_ results: [OpResult]) throws(NetlinkError) -> [OpResult] {
        guard results.contains(where: { if case .unknown = $0.outcome { true } else { false } }) else { return results }
        let state = try snapshot()
        return results.map { Self.settled($0, in: state) }
    }

    /// What an op with an unknown outcome did, from a read of the kernel taken after it: an add
    /// whose object is there was applied (or, when the object carries another protocol, found
    /// someone else's: `.alreadyInPlace`); a removal whose object is gone was applied; else it
    /// failed. rtnetlink handles a request inside the send that delivers it, so a read taken
    /// after `apply` returned sees every op's effect.
    public static func settled(_ result: OpResult, in state: KernelState) -> OpResult {
        guard case .unknown(let errno, let message) = result.outcome else { return result }
        let found: (proto: UInt8?, present: Bool)
        switch result.op {
        case .setLinkUp(let index, _):
            found = (nil, state.link(index: index)?.isUp == true)
        case .addAddress(let a), .removeAddress(let a):
            let seen = state.addresses.first { $0.key == a.key }
            found = (seen?.proto, seen != nil)
        case .addRoute(let r, _), .removeRoute(let r):
            let seen = state.routes.first { $0.matches(r) }
            found = (seen?.proto, seen != nil)
        case .addRule(let r), .removeRule(let r):
            let seen = state.rules.first { $0.key == r.key }
            found = (seen?.proto, seen != nil)
        }
        let outcome: OpOutcome
        if result.op.isRemoval {
            outcome = found.present ? .failed(errno: errno, message: message + "; still in the kernel when read again") : .applied
        } else if !found.present {
            outcome = .failed(errno: errno, message: message + "; not in the kernel when read again")
        } else if let proto = found.proto, let wanted = result.op.protocolMark, proto != wanted {
            outcome = .alreadyInPlace
        } else {
            outcome = .applied
        }
        return OpResult(op: result.op, outcome: outcome)
    }

    static func outcome(_ op: Op, _ answer: RouteSocket.Answer) -> OpOutcome {
        var message: String {
            let words = String(cString: strerror(answer.errno))
            guard let detail = answer.message, !detail.isEmpty else { return words }
            return words + ": " + detail
        }
        if answer.unknown { return .unknown(errno: answer.errno, message: message) }
        switch answer.errno {
        case 0:
            return .applied
        case EEXIST where !op.isRemoval:
            return .alreadyInPlace
        case ENOENT where op.isRemoval, ESRCH where op.isRemoval, EADDRNOTAVAIL where op.isRemoval:
            return .alreadyInPlace
        default:
            return .failed(errno: answer.errno, message: message)
        }
    }
}

extension Op {
    /// The protocol the op marks its object with (addresses only where they carry one).
    fileprivate var protocolMark: UInt8? {
        switch self {
        case .setLinkUp: nil
        case .addAddress(let a), .removeAddress(let a): a.proto
        case .addRoute(let r, _), .removeRoute(let r): r.proto
        case .addRule(let r), .removeRule(let r): r.proto
        }
    }
}
