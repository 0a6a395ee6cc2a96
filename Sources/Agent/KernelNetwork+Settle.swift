// SPDX-License-Identifier: Apache-2.0
import Model
import Netlink

extension KernelNetwork {
    /// `results` with each `.unknown` outcome (an answer the socket lost when its receive buffer
    /// overflowed: the kernel may well have applied the op) replaced by what one fresh read of
    /// the kernel shows (`NetlinkClient.settled`): an add whose object is there with the agent's
    /// mark (or none, before Linux 6.1) was applied, one with another's mark found it in place, a
    /// removal whose object is gone was applied, anything else failed. Only then is ownership
    /// recorded, so an address the op added is the agent's and one it did not add is not.
    /// Without an unknown outcome there is no read.
    func settle(_ results: [OpResult]) async throws -> [OpResult] {
        guard results.contains(where: \.outcome.isUnknown) else { return results }
        let state = try await snapshot()
        return results.map { NetlinkClient.settled($0, in: state) }
    }
}

extension OpOutcome {
    var isUnknown: Bool {
        if case .unknown = self { return true }
        return false
    }
}
