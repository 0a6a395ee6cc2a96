// SPDX-License-Identifier: Apache-2.0
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
        /// One ENI's claim, by its index in `enis` (an address usually has one).
        struct Claim {
            var eni: Int
            var isPrimaryAddress: Bool
            var isListed = true
        }
        var first: [IPAddress: Claim] = [:]
        first.reserveCapacity(enis.reduce(0) { $0 + $1.v4.count + $1.v6.count + 1 })
        var more: [IPAddress: [Claim]] = [:]
        var order: [IPAddress] = []
        func claim(_ address: IPAddress, _ claim: Claim) {
            guard let existing = first[address] else {
                first[address] = claim
                order.append(address)
                return
            }
            guard existing.eni != claim.eni, !(more[address]?.contains { $0.eni == claim.eni } ?? false) else { return }
            more[address, default: []].append(claim)
        }
        for (i, eni) in enis.enumerated() {
            let primary = eni.eni.primaryIPv4.map(IPAddress.v4)
            if eni.isPrimary, let primary { claim(primary, Claim(eni: i, isPrimaryAddress: true)) }
            for prefix in eni.v4 { claim(prefix.address, Claim(eni: i, isPrimaryAddress: prefix.address == primary)) }
            for prefix in eni.v6 { claim(prefix.address, Claim(eni: i, isPrimaryAddress: false)) }
        }
        // Which ENI's link holds what: only wanted where a claim may conflict.
        var eniOfLink: [Int32: Int] = [:]
        for (i, eni) in enis.enumerated() {
            if let link = links.link(for: eni.eni.mac) { eniOfLink[link.index] = i }
        }
        var holders: [IPAddress: [Int]] = [:]
        for address in actual.addresses {
            guard let i = eniOfLink[address.ifindex], first[address.address] != nil else { continue }
            holders[address.address, default: []].append(i)
            if untrusted.contains(enis[i].eni.mac) && ownership.owns(address) {
                claim(address.address, Claim(eni: i, isPrimaryAddress: false, isListed: false))
            }
        }
        owner.reserveCapacity(order.count)
        for address in order {
            let only = first[address]!
            guard let others = more[address] else {
                owner[address] = enis[only.eni].eni.mac
                if only.isPrimaryAddress { primaries.insert(address) }
                continue
            }
            let all = [only] + others
            var candidates = all.filter(\.isPrimaryAddress)
            if let primary = candidates.first(where: { enis[$0.eni].eni.mac == primaryMAC }) { candidates = [primary] }
            if candidates.isEmpty { candidates = all }
            let holding = candidates.filter { holders[address]?.contains($0.eni) ?? false }
            let listedHolding = holding.filter(\.isListed)
            if holding.count == 1 { candidates = holding } else if !listedHolding.isEmpty { candidates = listedHolding }
            let winner = candidates.min { enis[$0.eni].eni.mac < enis[$1.eni].eni.mac }!
            owner[address] = enis[winner.eni].eni.mac
            if winner.isPrimaryAddress { primaries.insert(address) }
            for loser in all where loser.eni != winner.eni {
                let (w, l) = (enis[winner.eni].name, enis[loser.eni].name)
                let message = winner.isPrimaryAddress ? "\(address) is listed on \(l) but is the primary address of \(w): not configured on \(l)"
                    : winner.isListed ? "\(address) is listed on both \(w) and \(l): configured on \(w) only"
                    : "\(address) is listed on \(l) but is still on \(w), whose metadata is incomplete or invalid: not moved until it is read in full"
                let eni = enis[loser.eni].eni
                notes.append(PlanNote(.warning, eni: ENIRef(id: eni.id, mac: eni.mac, ifname: nil), message))
            }
        }
    }

    /// Whether `address` goes to the ENI with `mac` (true for an address nobody claims: not
    /// this read's business).
    func belongs(_ address: IPAddress, to mac: MACAddress) -> Bool {
        owner[address].map { $0 == mac } ?? true
    }
}
