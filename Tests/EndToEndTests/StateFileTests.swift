// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
import TestSupport

/// The state file is read, never trusted (docs/design.md §4.8): a damaged one is reported once,
/// what validates is used, and the next sync replaces it.
@Suite(.requiresRoot, .blockingWork) struct StateFileTests {
    func edit(_ path: String, _ change: (inout [String: Any]) -> Void) throws {
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        change(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
    }

    /// `lastSync.id` at Int.max: the next sync's `id + 1` trapped (SIGILL, exit 132), every time,
    /// so the boot-time `--sync` and the daemon both died until someone deleted the file.
    @Test func aSyncIDAtIntMaxIsReportedOnceAndReplaced() async throws {
        let lab = try await LabFixture.start()
        defer { lab.destroy() }
        #expect(try await lab.sync().status == 0)
        try edit(lab.stateFilePath) { state in
            var last = state["lastSync"] as! [String: Any]
            last["id"] = Int.max
            state["lastSync"] = last
        }
        let result = try await lab.sync(["--json"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.contains("state file \(lab.stateFilePath) is damaged") && result.stderr.contains("\(Int.max)"), "\(result.stderr)")
        #expect(try jq(".syncId", result.stdout) == "1")

        let next = try await lab.sync()
        #expect(next.status == 0 && !next.stderr.contains("damaged"), "replaced, so reported once: \(next)")
        #expect(try jq(".lastSync.id", String(contentsOfFile: lab.stateFilePath, encoding: .utf8)) == "2")
    }
}
