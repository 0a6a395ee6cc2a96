// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
import TestSupport

/// The first `eni-agent --sync` of ten fresh 3-ENI labs, as a user runs it (the `ip netns exec`
/// and `env` before it are execs of the same process): each converges with the same 41 changes.
/// How long each took is printed, not asserted (scripts/bench measures it); `.serialized` and
/// alone in its suite so that the runs do not compete with each other.
@Suite(.requiresRoot, .serialized, .blockingWork) struct SyncTimingTests {
    @Test func theFirstSyncOfEveryFreshLabConvergesWithTheSameChanges() async throws {
        var times: [Duration] = []
        for _ in 1...10 {
            let lab = try await LabFixture.start()
            defer { lab.destroy() }
            let clock = ContinuousClock()
            let started = clock.now
            let result = try await lab.sync()
            times.append(started.duration(to: clock.now))
            #expect(result.status == 0, "\(result)")
            #expect(result.stderr.contains("41 changes"), "\(result)")
        }
        let sorted = times.sorted()
        print("[measure] first --sync of the 3-ENI lab, 10 fresh labs: median \((sorted[4] + sorted[5]) / 2), min \(sorted[0]), max \(sorted[9])")
    }
}
