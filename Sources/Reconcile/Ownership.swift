public import Model

/// What the agent remembers between cycles, persisted in the state file by the caller.
///
/// Routes and rules carry protocol 233 in the kernel, which is all the ownership they need.
/// Addresses are owned when the kernel reports IFA_PROTO 233 *or* they are recorded here: the
/// record also covers kernels and dumps that do not report IFA_PROTO.
public struct Ownership: Sendable, Hashable, Codable {
    public var addresses: [OwnedAddress]
    /// Removals wanted by consecutive complete reads, keyed by the op's `ip` rendering: a removal
    /// is emitted once its count reaches the removal grace (docs/design.md §4.3).
    public var pendingRemovals: [String: Int]

    public init(addresses: [OwnedAddress] = [], pendingRemovals: [String: Int] = [:]) {
        self.addresses = addresses
        self.pendingRemovals = pendingRemovals
    }

    /// An address is recorded as ours only if the link at `ifindex` still has the MAC it had
    /// when we added it (a recreated link reuses no ownership).
    func records(_ address: Address, linkMAC: MACAddress?) -> Bool {
        addresses.contains { $0.ifindex == address.ifindex && $0.address == address.address && $0.mac == linkMAC }
    }

    /// The ownership after `results` were applied: addresses the agent really added are recorded,
    /// addresses it removed are forgotten. An add that found the address already there claims
    /// nothing: somebody else may have put it there.
    public func recording(_ results: [OpResult], macs: [Int32: MACAddress]) -> Ownership {
        var next = self
        for result in results {
            switch (result.op, result.outcome) {
            case (.addAddress(let a), .applied):
                guard let mac = macs[a.ifindex] else { continue }
                next.addresses.removeAll { $0.ifindex == a.ifindex && $0.address == a.address }
                next.addresses.append(OwnedAddress(mac: mac, ifindex: a.ifindex, prefix: a.prefix))
            case (.removeAddress(let a), .applied), (.removeAddress(let a), .alreadyInPlace):
                next.addresses.removeAll { $0.ifindex == a.ifindex && $0.address == a.address }
                next.pendingRemovals[result.op.description] = nil
            case (let op, .applied) where op.isRemoval, (let op, .alreadyInPlace) where op.isRemoval:
                next.pendingRemovals[op.description] = nil
            default:
                continue
            }
        }
        next.addresses.sort { ($0.ifindex, $0.address) < ($1.ifindex, $1.address) }
        return next
    }
}

public struct OwnedAddress: Sendable, Hashable, Codable {
    public var mac: MACAddress
    public var ifindex: Int32
    public var prefix: IPPrefix

    public init(mac: MACAddress, ifindex: Int32, prefix: IPPrefix) {
        self.mac = mac
        self.ifindex = ifindex
        self.prefix = prefix
    }

    public var address: IPAddress { prefix.address }
}
