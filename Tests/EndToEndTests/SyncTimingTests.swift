import Foundation
import Testing
import TestSupport

/// How long the first `eni-agent --sync` of the 3-ENI lab takes, as a user sees it: the wall
/// time of the process (the `ip netns exec` and `env` before it are execs of the same process),
/// from a fresh lab each time. `.serialized` and alone in its suite so that the runs do not
/// compete with each other; run the suite by itself for numbers worth quoting.
@Suite(.requiresRoot, .serialized, .blockingWork) struct SyncTimingTests {
    @Test func theFirstSyncOfTheThreeENILabTakesWellUnderASecond() async throws {
        var times: [Duration] = []
        for _ in 1...10 {
            let lab = try await LabFixture.start()
            defer { lab.destroy() }
            let clock = ContinuousClock()
            let started = clock.now
            let result = try await lab.sync()
            times.append(started.duration(to: clock.now))
            #expect(result.status == 0, "\(result)")
            #expect(result.stderr.contains("41 changes"))
        }
        let sorted = times.sorted()
        let median = (sorted[4] + sorted[5]) / 2
        print("first --sync of the 3-ENI lab, 10 fresh labs: median \(median), min \(sorted[0]), max \(sorted[9])")
        #expect(median < .seconds(1), "\(sorted)")
    }
}
