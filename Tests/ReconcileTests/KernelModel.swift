import Model

/// A model of the kernel's rtnetlink semantics, as far as the planner's ops go: what
/// `Netlink.apply` would do, without a kernel. The integration tests check the real thing.
struct KernelModel {
    var state: KernelState

    /// Applies ops in order with the kernel's idempotence outcomes; returns one result per op.
    mutating func apply(_ ops: [Op]) -> [OpResult] {
        ops.map { OpResult(op: $0, outcome: apply($0)) }
    }

    private mutating func apply(_ op: Op) -> OpOutcome {
        switch op {
        case .setLinkUp(let index, _):
            guard let i = state.links.firstIndex(where: { $0.index == index }) else { return .failed(errno: 19, message: "No such device") }
            state.links[i].isUp = true
            return .applied
        case .addAddress(let a):
            guard state.link(index: a.ifindex) != nil else { return .failed(errno: 19, message: "No such device") }
            if state.addresses.contains(where: { $0.key == a.key }) { return .alreadyInPlace }
            state.addresses.append(a)
            return .applied
        case .removeAddress(let a):
            guard let i = state.addresses.firstIndex(where: { $0.key == a.key }) else { return .alreadyInPlace }
            state.addresses.remove(at: i)
            return .applied
        case .addRoute(let r, let replace):
            if let index = r.ifindex, state.link(index: index) == nil { return .failed(errno: 19, message: "No such device") }
            if let i = state.routes.firstIndex(where: { $0.key == r.key }) {
                guard replace else { return .alreadyInPlace }
                state.routes[i] = r
                return .applied
            }
            state.routes.append(r)
            return .applied
        case .removeRoute(let r):
            guard let i = state.routes.firstIndex(where: { $0.key == r.key }) else { return .alreadyInPlace }
            state.routes.remove(at: i)
            return .applied
        case .addRule(let r):
            if state.rules.contains(where: { $0.key == r.key }) { return .alreadyInPlace }
            state.rules.append(r)
            return .applied
        case .removeRule(let r):
            guard let i = state.rules.firstIndex(where: { $0.key == r.key }) else { return .alreadyInPlace }
            state.rules.remove(at: i)
            return .applied
        }
    }

    /// A link goes away: the kernel drops its addresses and every route through it.
    mutating func removeLink(index: Int32) {
        state.links.removeAll { $0.index == index }
        state.addresses.removeAll { $0.ifindex == index }
        state.routes.removeAll { $0.ifindex == index }
    }

    var macs: [Int32: MACAddress] {
        Dictionary(state.links.compactMap { link in link.mac.map { (link.index, $0) } }, uniquingKeysWith: { a, _ in a })
    }
}
