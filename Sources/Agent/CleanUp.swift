import Logging
public import Model
import Reconcile

/// Why a cleanup on stop removed nothing.
public enum CleanUpError: Error, CustomStringConvertible {
    /// No metadata read yet (this run or the state file): the primary ENI is unknown.
    case noMetadata
    case kernel(any Error)

    public var description: String {
        switch self {
        case .noMetadata: "no metadata read yet, so the primary ENI is unknown"
        case .kernel(let error): "cannot read the kernel's network state: \(error)"
        }
    }
}

extension SyncEngine {
    /// Removes everything the agent owns (ENI_AGENT_CLEANUP_ON_STOP): the plan for "no ENI
    /// wants anything", with removals allowed at once.
    public func cleanUp() async throws(CleanUpError) -> [OpResult] {
        guard let primary = cachedNetwork?.primaryMAC else { throw .noMetadata }
        let actual: KernelState
        do {
            actual = try await kernel.snapshot()
        } catch {
            throw .kernel(error)
        }
        var config = self.config.plan
        config.removalGrace = 1
        let empty = InstanceNetwork(primaryMAC: primary, enis: [ENI(mac: primary)])
        let plan = Reconcile.plan(desired: empty, actual: actual, owned: ownership, config: config)
        var log = logger
        log[metadataKey: "sync_id"] = "cleanup"
        let (removals, held) = AddressRemovalOrder.arrange(plan.ops.filter(\.op.isRemoval), actual: actual,
                                                           promotesSecondaries: Self.promotesSecondaries)
        for (planned, bystanders) in held {
            guard case .removeAddress(let address) = planned.op else { continue }
            var fields: Logger.Metadata = ["action": "keep", "address": "\(address.address)", "ifname": "\(address.ifname)"]
            if let id = planned.eni?.id { fields["eni_id"] = "\(id)" }
            log.warning("left \(address.prefix) on \(address.ifname): with promote_secondaries off, removing it would also remove \(bystanders.map { "\($0.prefix)" }.joined(separator: ", ")), which is not ours",
                        metadata: fields)
        }
        let results = await kernel.apply(removals.map(\.op))
        for (planned, result) in zip(removals, results) { ChangeLog.log(planned, result.outcome, to: log) }
        return results
    }

    /// `net.ipv4.conf.<link>.promote_secondaries`, read in this process's network namespace.
    static func promotesSecondaries(_ ifname: String) -> Bool {
        guard !ifname.contains("/"), !ifname.isEmpty,
              let value = try? TextFile.read("/proc/sys/net/ipv4/conf/\(ifname)/promote_secondaries") else { return false }
        return value.hasPrefix("1")
    }
}
