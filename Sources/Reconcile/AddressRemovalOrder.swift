// SPDX-License-Identifier: Apache-2.0
public import Model

/// Deleting the primary IPv4 address of a subnet from a link makes the kernel delete every
/// secondary address of that subnet with it (same prefix length, same network), unless
/// `promote_secondaries` is set on the link (systemd's sysctl defaults set it; a bare kernel and
/// a fresh network namespace do not; `Link.promotesSecondaries`, nil = not reported = off). The
/// agent's first address on a secondary ENI is usually the kernel's primary there, and every
/// address added later in the same subnet (the agent's, an administrator's) is one of its
/// secondaries (docs/design.md §4.5). So every address removal the planner emits is ordered:
/// - secondaries go before the primary of their subnet;
/// - a primary whose removal would take only additions of the same plan with it goes before
///   the additions (they then become primaries themselves);
/// - a primary whose removal would take an address that stays is held back, with the
///   addresses it protects: no order keeps them.
public enum AddressRemovalOrder {
    public struct Arrangement: Sendable, Hashable {
        /// Address removals that must come before the plan's additions.
        public var beforeAdditions: [PlannedOp] = []
        /// The other removals, in their order, with kernel primaries after their secondaries.
        public var afterAdditions: [PlannedOp] = []
        public var held: [HeldRemoval] = []
    }

    public struct HeldRemoval: Sendable, Hashable {
        public var removal: PlannedOp
        /// Addresses that would go with it: present and staying, or added by the same plan.
        public var bystanders: [Address]
    }

    public static func arrange(_ removals: [PlannedOp], adding additions: [PlannedOp] = [], actual: KernelState) -> Arrangement {
        var removing = Set<AddressKey>()
        for planned in removals {
            if case .removeAddress(let address) = planned.op { removing.insert(address.key) }
        }
        // Most plans remove no address: nothing to order, and no index of the kernel to build.
        guard !removing.isEmpty else { return Arrangement(afterAdditions: removals) }
        // One lookup per removal, not a scan of every address (cleanup removes them all).
        let inKernel = Dictionary(actual.addresses.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        let arriving = additions.compactMap { planned -> Address? in
            if case .addAddress(let address) = planned.op, inKernel[address.key] == nil { return address }
            return nil
        }
        var result = Arrangement()
        var secondaries: [PlannedOp] = []
        var primaries: [PlannedOp] = []
        var early: [Address] = []
        for planned in removals {
            guard case .removeAddress(let address) = planned.op, address.family == .v4,
                  let current = inKernel[address.key], !current.flags.contains(.secondary) else {
                secondaries.append(planned)
                continue
            }
            let staying = actual.addresses.filter {
                sameSubnet($0, current) && $0.key != current.key && !removing.contains($0.key)
            }
            let added = arriving.filter { sameSubnet($0, current) }
            if actual.link(index: current.ifindex)?.promotesSecondaries == true || (staying.isEmpty && added.isEmpty) {
                primaries.append(planned)
            } else if staying.isEmpty {
                early.append(current)
                result.beforeAdditions.append(planned)
            } else {
                result.held.append(HeldRemoval(removal: planned, bystanders: staying + added))
            }
        }
        // The secondaries of a primary that goes early go just before it.
        let (first, rest) = secondaries.partitioned { planned in
            guard case .removeAddress(let address) = planned.op else { return false }
            return early.contains { sameSubnet(address, $0) }
        }
        result.beforeAdditions = first + result.beforeAdditions
        result.afterAdditions = rest + primaries
        return result
    }

    private static func sameSubnet(_ a: Address, _ b: Address) -> Bool {
        a.ifindex == b.ifindex && a.family == .v4 && b.family == .v4 && a.prefix.length == b.prefix.length
            && b.prefix.network.contains(a.address)
    }
}

extension Array {
    /// The elements that satisfy `belongs`, and the others, each in their order.
    func partitioned(by belongs: (Element) -> Bool) -> ([Element], [Element]) {
        var yes: [Element] = []
        var no: [Element] = []
        for element in self {
            if belongs(element) { yes.append(element) } else { no.append(element) }
        }
        return (yes, no)
    }
}
