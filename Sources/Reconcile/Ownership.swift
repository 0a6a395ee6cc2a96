// SPDX-License-Identifier: Apache-2.0
public import Model

/// What the agent remembers between cycles, persisted in the state file by the caller.
///
/// Routes and rules carry protocol 233 in the kernel, which is all the ownership they need.
/// Addresses carry it too where the kernel keeps `IFA_PROTO` (Linux 6.1+); on older kernels the
/// record of what the agent added is the only evidence (`AddressOwnership`).
public struct Ownership: Sendable, Hashable {
    /// Addresses the agent added and has not yet seen marked by the kernel.
    public var addresses: [OwnedAddress]
    /// Removals wanted by consecutive complete reads, per object: a removal is emitted once its
    /// count reaches the removal grace (docs/design.md §4.3).
    public var pendingRemovals: [ObjectKey: Int]

    public init(addresses: [OwnedAddress] = [], pendingRemovals: [ObjectKey: Int] = [:]) {
        self.addresses = addresses
        self.pendingRemovals = pendingRemovals
    }

    /// The ownership to persist before `ops` are sent (intent first): every address they add
    /// recorded as if it had been added. On a kernel that keeps no address marks the record is
    /// the only evidence of ownership, and a process killed between the kernel's changes and the
    /// state file's write would otherwise leave addresses that are nobody's. An intended address
    /// that never got added is absent at the next sync, which forgets its record
    /// (`AddressOwnership.pruned`); `recording(_:macs:)` settles the rest after the apply.
    public func intending(_ ops: [Op], macs: [Int32: MACAddress]) -> Ownership {
        var next = self
        for case .addAddress(let a) in ops { next.record(a, macs: macs) }
        next.sortAddresses()
        return next
    }

    /// The ownership after `results` were applied: addresses the agent really added are recorded,
    /// addresses it removed are forgotten. An add that found the address already there claims
    /// nothing: somebody else may have put it there. An add whose outcome is still unknown (its
    /// answer lost, and the kernel could not be read again) stays recorded as intended: the next
    /// sync keeps the record if the address is there and forgets it if not.
    public func recording(_ results: [OpResult], macs: [Int32: MACAddress]) -> Ownership {
        var next = self
        for result in results {
            switch (result.op, result.outcome) {
            case (.addAddress(let a), .applied), (.addAddress(let a), .unknown):
                next.record(a, macs: macs)
            case (.removeAddress(let a), .applied), (.removeAddress(let a), .alreadyInPlace):
                next.addresses.removeAll { $0.ifindex == a.ifindex && $0.address == a.address }
                next.pendingRemovals[.address(a.key)] = nil
            case (let op, .applied) where op.isRemoval, (let op, .alreadyInPlace) where op.isRemoval:
                if let key = op.objectKey { next.pendingRemovals[key] = nil }
            default:
                continue
            }
        }
        next.sortAddresses()
        return next
    }

    private mutating func record(_ a: Address, macs: [Int32: MACAddress]) {
        guard let mac = macs[a.ifindex] else { return }
        addresses.removeAll { $0.ifindex == a.ifindex && $0.address == a.address }
        addresses.append(OwnedAddress(mac: mac, ifindex: a.ifindex, prefix: a.prefix))
    }
}

extension Ownership {
    /// By link, then address: the state file's order, the same from run to run.
    mutating func sortAddresses() {
        addresses.sort { ($0.ifindex, $0.address) < ($1.ifindex, $1.address) }
    }

    /// This record once another process (a `--sync` beside the daemon) has written `newer` to
    /// the state file: its removal counts, since it planned last, and the addresses either
    /// records. A record of this one that `newer` lacks is either still this process's (kept) or
    /// of an address the other removed, which `AddressOwnership.pruned` drops once it is gone.
    public func adopting(_ newer: Ownership) -> Ownership {
        var merged = newer
        for owned in addresses where !merged.addresses.contains(where: { $0.ifindex == owned.ifindex && $0.address == owned.address }) {
            merged.addresses.append(owned)
        }
        merged.sortAddresses()
        return merged
    }
}

/// In the state file: `addresses`, and `removalCounts` as a list of `{object, count}` sorted by
/// object. A file written before the counts were keyed by object has `pendingRemovals` keyed by
/// `ip` text instead: it is ignored, so those counts start again (a removal waits the grace once
/// more; nothing is removed early). Counts below 1 are dropped, so a damaged file can only delay
/// a removal.
extension Ownership: Codable {
    private enum CodingKeys: String, CodingKey {
        case addresses, removalCounts
    }

    private struct Count: Codable {
        var object: ObjectKey
        var count: Int
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        addresses = try container.decodeIfPresent([OwnedAddress].self, forKey: .addresses) ?? []
        let counts = try container.decodeIfPresent([Count].self, forKey: .removalCounts) ?? []
        pendingRemovals = Dictionary(counts.filter { $0.count >= 1 }.map { ($0.object, $0.count) },
                                     uniquingKeysWith: { first, _ in first })
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(addresses, forKey: .addresses)
        let counts = pendingRemovals.map { Count(object: $0.key, count: $0.value) }
            .sorted { $0.object.description < $1.object.description }
        try container.encode(counts, forKey: .removalCounts)
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

/// Whether an address in the kernel is eni-agent's (docs/design.md §4.1): the one test, for the
/// planner and `eni-agent status`.
///
/// - The kernel's mark decides where there is one: `IFA_PROTO` 233 is ours, any other value is
///   not, whatever the record says.
/// - An address without a mark on a kernel that keeps marks (some address in the snapshot
///   carries one: on Linux 6.1+ the loopback `::1` and every kernel-made link-local address do,
///   and so does every address the agent added) was added by someone else: an agent's address
///   deleted and re-added by another program or person is theirs.
/// - Only where the kernel keeps no marks (before 6.1) does the record decide: an address the
///   agent added on that link (same index, same MAC, same prefix length) and has seen present
///   since. Someone who deletes it and adds it back with the same prefix length between two
///   syncs is taken for the agent; nothing on such a kernel can tell them apart.
public struct AddressOwnership: Sendable {
    private let records: Set<Record>
    private let macs: [Int32: MACAddress]
    /// Whether the kernel reports `IFA_PROTO` at all.
    public let kernelMarksAddresses: Bool

    private struct Record: Hashable {
        var ifindex: Int32
        var prefix: IPPrefix
        var mac: MACAddress
    }

    public init(kernel: KernelState, ownership: Ownership) {
        records = Set(ownership.addresses.map { Record(ifindex: $0.ifindex, prefix: $0.prefix, mac: $0.mac) })
        macs = Dictionary(kernel.links.compactMap { link in link.mac.map { (link.index, $0) } },
                          uniquingKeysWith: { first, _ in first })
        kernelMarksAddresses = kernel.addresses.contains { $0.proto != nil }
    }

    public func owns(_ address: Address) -> Bool {
        if let proto = address.proto { return proto == eniAgentProtocol }
        if kernelMarksAddresses { return false }
        guard let mac = macs[address.ifindex] else { return false }
        return records.contains(Record(ifindex: address.ifindex, prefix: address.prefix, mac: mac))
    }

    /// The records still worth keeping: those of addresses present and unmarked on the link they
    /// were added to, on a kernel that keeps no marks. Elsewhere the mark decides, and a record
    /// of an address that is gone (or whose link is gone or has another MAC) would only let a
    /// later foreign address with the same IP pass for the agent's.
    public func pruned(_ ownership: Ownership, kernel: KernelState) -> [OwnedAddress] {
        guard !kernelMarksAddresses else { return [] }
        let present = Set(kernel.addresses.compactMap { address -> Record? in
            guard let mac = macs[address.ifindex] else { return nil }
            return Record(ifindex: address.ifindex, prefix: address.prefix, mac: mac)
        })
        return ownership.addresses.filter { present.contains(Record(ifindex: $0.ifindex, prefix: $0.prefix, mac: $0.mac)) }
    }
}
