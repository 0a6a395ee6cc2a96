// SPDX-License-Identifier: Apache-2.0
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
        // The planner orders the removals and holds back one that would take another address
        // with it (promote_secondaries off): its warning is among the notes.
        let removals = plan.ops.filter(\.op.isRemoval)
        for note in plan.notes where note.level == .warning { log.warning("\(note.message)") }
        let results = await kernel.apply(removals.map(\.op))
        for (planned, result) in zip(removals, results) { ChangeLog.log(planned, result.outcome, to: log) }
        return results
    }
}
