// SPDX-License-Identifier: Apache-2.0
import Model
public import Reconcile

/// The state of each address of one ENI's link (owned, foreign, missing, stale), the one
/// classification `eni-agent status` shows and the metrics count.
enum AddressStates {
    struct Entry {
        var prefix: IPPrefix
        var state: StatusReport.AddressStatus.State
        /// The plan manages it on this link.
        var wanted: Bool
    }

    /// `wanted`: the addresses the plan manages on the link; `present`: the link's addresses in
    /// the kernel. A wanted address is owned or foreign when present, else missing; a present
    /// address not wanted is stale when owned, else foreign (an IPv6 link-local address, which
    /// every link has, is not listed).
    static func classify(wanted: [IPPrefix], present: [Address], isOwned: (Address) -> Bool) -> [Entry] {
        var entries: [Entry] = []
        let byAddress = Dictionary(present.map { ($0.address, $0) }, uniquingKeysWith: { first, _ in first })
        for prefix in wanted {
            if let actual = byAddress[prefix.address] {
                entries.append(Entry(prefix: prefix, state: isOwned(actual) ? .owned : .foreign, wanted: true))
            } else {
                entries.append(Entry(prefix: prefix, state: .missing, wanted: true))
            }
        }
        let wantedAddresses = Set(wanted.map(\.address))
        for actual in present where !wantedAddresses.contains(actual.address) {
            if isOwned(actual) {
                entries.append(Entry(prefix: actual.prefix, state: .stale, wanted: false))
            } else if actual.family == .v4 || !actual.address.isLinkLocal {
                entries.append(Entry(prefix: actual.prefix, state: .foreign, wanted: false))
            }
        }
        return entries
    }

    /// Each managed ENI's addresses by state once `results` are applied to `actual`: the kernel
    /// as the sync left it, without reading it again. An address this sync added counts as
    /// owned; one it removed is gone.
    static func afterSync(managed: [ManagedENI], actual: KernelState, ownership: Ownership, results: [OpResult]) -> [ENIAddressStates] {
        var added = Set<AddressKey>()
        var removed = Set<AddressKey>()
        var addedAddresses: [Address] = []
        for result in results where result.outcome.succeeded {
            switch result.op {
            // Already there (EEXIST): whoever's it is, the snapshot had it or a race put it there.
            case .addAddress(let a) where result.outcome == .applied:
                added.insert(a.key)
                addedAddresses.append(a)
            case .removeAddress(let a): removed.insert(a.key)
            default: break
            }
        }
        let owner = AddressOwnership(kernel: actual, ownership: ownership)
        let after = Dictionary(grouping: actual.addresses.filter { !removed.contains($0.key) && !added.contains($0.key) }
                                   + addedAddresses, by: \.ifindex)
        return managed.map { eni in
            let entries = classify(wanted: eni.addresses, present: after[eni.ifindex] ?? []) { added.contains($0.key) || owner.owns($0) }
            return ENIAddressStates(eni: eni.eni, counts: Dictionary(entries.map { ($0.state, 1) }, uniquingKeysWith: +))
        }
    }
}

/// One ENI's addresses counted by state after a sync.
public struct ENIAddressStates: Sendable, Hashable, Codable {
    public var eni: ENIRef
    public var counts: [StatusReport.AddressStatus.State: Int]
}
