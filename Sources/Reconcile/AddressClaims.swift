import Model

/// An address belongs to one ENI (docs/design.md §3). When a read lists it on several, it goes to:
/// 1. the ENI whose `primary-ip-address` it is (the primary ENI's first: that one is DHCP's and
///    is never added anywhere, its own link included);
/// 2. else the one ENI whose link holds it now, so that an address moving between ENIs stays
///    put while metadata lists it on both (propagation) and moves once only the new one lists it;
/// 3. else the ENI with the lowest MAC.
/// The others do not get it, and each such conflict is reported. An ENI whose read is
/// incomplete or holds a rejected value (`untrusted`) may be missing an address from its list:
/// it still claims what the agent put on its link, so that the address is not put on a second
/// ENI before that ENI's read can say it let go. Such a claim yields to a listing one where both
/// ENIs' links hold the address.
struct AddressClaims {
    /// Every validated address of the read and the MAC of the ENI it belongs to.
    private(set) var owner: [IPAddress: MACAddress] = [:]
    /// The addresses among them that are their owner's `primary-ip-address`: an ENI keeps its
    /// primary for life, so a copy anywhere else is stale whatever that ENI's read says.
    private(set) var primaries: Set<IPAddress> = []
    private(set) var notes: [PlanNote] = []

    init(_ enis: [ValidatedENI], primaryMAC: MACAddress, untrusted: Set<MACAddress>, actual: KernelState, links: ENILinks,
         ownership: AddressOwnership) {
        struct Claim {
            var eni: ValidatedENI
            var isPrimaryAddress: Bool
            var isListed = true
        }
        var claims: [IPAddress: [Claim]] = [:]
        var order: [IPAddress] = []
        func claim(_ address: IPAddress, _ eni: ValidatedENI, primary: Bool, listed: Bool = true) {
            if claims[address] == nil { order.append(address) }
            guard !(claims[address]?.contains { $0.eni.eni.mac == eni.eni.mac } ?? false) else { return }
            claims[address, default: []].append(Claim(eni: eni, isPrimaryAddress: primary, isListed: listed))
        }
        for eni in enis {
            if eni.isPrimary, let primary = eni.eni.primaryIPv4 { claim(.v4(primary), eni, primary: true) }
            for prefix in eni.v4 { claim(prefix.address, eni, primary: .v4(eni.eni.primaryIPv4 ?? IPv4Address(0)) == prefix.address) }
            for prefix in eni.v6 { claim(prefix.address, eni, primary: false) }
        }
        var holders: [IPAddress: Set<MACAddress>] = [:]
        var ours: [MACAddress: [IPAddress]] = [:]
        for address in actual.addresses {
            if let mac = actual.link(index: address.ifindex)?.mac, links.link(for: mac)?.index == address.ifindex {
                holders[address.address, default: []].insert(mac)
                if ownership.owns(address) { ours[mac, default: []].append(address.address) }
            }
        }
        for eni in enis where untrusted.contains(eni.eni.mac) {
            for address in ours[eni.eni.mac] ?? [] where claims[address] != nil {
                claim(address, eni, primary: false, listed: false)
            }
        }
        for address in order {
            let all = claims[address]!
            var candidates = all.filter(\.isPrimaryAddress)
            if let primary = candidates.first(where: { $0.eni.eni.mac == primaryMAC }) { candidates = [primary] }
            if candidates.isEmpty { candidates = all }
            let holding = candidates.filter { holders[address]?.contains($0.eni.eni.mac) ?? false }
            let listedHolding = holding.filter(\.isListed)
            if holding.count == 1 { candidates = holding } else if !listedHolding.isEmpty { candidates = listedHolding }
            let winner = candidates.min { $0.eni.eni.mac < $1.eni.eni.mac }!
            owner[address] = winner.eni.eni.mac
            if winner.isPrimaryAddress { primaries.insert(address) }
            for loser in all where loser.eni.eni.mac != winner.eni.eni.mac {
                let (w, l) = (winner.eni.name, loser.eni.name)
                let message = winner.isPrimaryAddress ? "\(address) is listed on \(l) but is the primary address of \(w): not configured on \(l)"
                    : winner.isListed ? "\(address) is listed on both \(w) and \(l): configured on \(w) only"
                    : "\(address) is listed on \(l) but is still on \(w), whose metadata is incomplete or invalid: not moved until it is read in full"
                notes.append(PlanNote(.warning, eni: ENIRef(id: loser.eni.eni.id, mac: loser.eni.eni.mac, ifname: nil), message))
            }
        }
    }

    /// Whether `address` goes to the ENI with `mac` (true for an address nobody claims: not
    /// this read's business).
    func belongs(_ address: IPAddress, to mac: MACAddress) -> Bool {
        owner[address].map { $0 == mac } ?? true
    }
}
