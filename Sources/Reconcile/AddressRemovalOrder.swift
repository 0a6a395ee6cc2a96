public import Model

/// Deleting the primary IPv4 address of a subnet from a link makes the kernel delete every
/// secondary address of that subnet with it, unless `promote_secondaries` is set on the link
/// (systemd's sysctl defaults set it; a bare kernel and a fresh network namespace do not). An
/// ENI's primary IP is the first address the agent adds on a secondary ENI, so it is usually the
/// kernel's primary there, and an address an admin added later in the same subnet is one of its
/// secondaries: removing ours would remove theirs (docs/design.md §4.1).
public enum AddressRemovalOrder {
    /// Secondary addresses first, so each removal is a real one and logged as such; then the
    /// primaries, except one whose removal would take addresses this plan keeps with it: that
    /// one is held back and returned with the addresses it protects.
    public static func arrange(_ removals: [PlannedOp], actual: KernelState,
                               promotesSecondaries: (String) -> Bool) -> (ops: [PlannedOp], held: [(PlannedOp, [Address])]) {
        var removing = Set<AddressKey>()
        for planned in removals {
            if case .removeAddress(let address) = planned.op { removing.insert(address.key) }
        }
        // One lookup per removal, not a scan of every address (cleanup removes them all).
        let inKernel = Dictionary(actual.addresses.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        var first: [PlannedOp] = []
        var last: [PlannedOp] = []
        var held: [(PlannedOp, [Address])] = []
        for planned in removals {
            guard case .removeAddress(let address) = planned.op, address.family == .v4,
                  let current = inKernel[address.key],
                  !current.flags.contains(.secondary) else {
                first.append(planned)
                continue
            }
            let subnet = current.prefix.network
            let bystanders = actual.addresses.filter { other in
                other.ifindex == current.ifindex && other.key != current.key && other.family == .v4
                    && other.prefix.length == current.prefix.length && subnet.contains(other.address)
                    && !removing.contains(other.key)
            }
            if bystanders.isEmpty || promotesSecondaries(current.ifname) {
                last.append(planned)
            } else {
                held.append((planned, bystanders))
            }
        }
        return (first + last, held)
    }
}
