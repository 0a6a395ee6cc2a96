// SPDX-License-Identifier: Apache-2.0
import Agent
import FoundationEssentials
import Reconcile

extension FuzzTarget {
    /// `/run/eni-agent/state.json`. What the salvage keeps is what the agent carries into the
    /// next file, and that file must read back whole and clean: a salvaged state is a valid one.
    static let stateFile = FuzzTarget(name: "state-file", reads: "the state file, through StateSalvage") { bytes in
        let first = StateSalvage.salvage(text(bytes))
        for problem in first.problems {
            try expect(isPrintable(problem), "a problem that breaks its log line: \(problem.debugDescription)")
        }
        let s = first.state
        try expect(s.ownership.addresses.count <= StateSalvage.maxAddresses, "\(s.ownership.addresses.count) ownership records")
        try expect((s.lastSync?.id ?? 0) < Int.max, "a sync id that cannot be incremented")
        // What the engine writes after it: the records it salvaged, a fresh time and pid.
        let next = PersistedState(updatedAt: "2026-11-24T01:52:10.530Z", pid: 4242, ownership: s.ownership, network: s.network,
                                  lastSync: s.lastSync)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let written = try? encoder.encode(next) else { throw FuzzFailure("a salvaged state does not encode") }
        let again = StateSalvage.salvage(String(decoding: written, as: UTF8.self))
        try expect(again.problems.isEmpty, "the salvaged state reads back with problems: \(again.problems)")
        try expect((try? encoder.encode(again.state)) == written, "the salvaged state reads back different")
    }
}
