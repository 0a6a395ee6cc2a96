// SPDX-License-Identifier: Apache-2.0
import Testing
import TestSupport

@Suite(.requiresRoot, .blockingWork) struct LabSmokeTests {
    @Test func theLabConvergesInOneSyncAndTheSecondChangesNothing() async throws {
        let lab = try await LabFixture.start()
        defer { lab.destroy() }
        let first = try lab.agent(["--sync"])
        #expect(first.status == 0, "\(first)")
        let second = try lab.agent(["--sync", "--json"])
        #expect(second.status == 0, "\(second)")
        #expect(second.stdout.contains("\"ops\" : [\n\n  ]") || second.stdout.contains("\"ops\" : []"), "\(second.stdout)")
        #expect(try lab.addresses("eth1").contains("192.168.1.212/24"))
        #expect(try lab.routeGet("8.8.8.8", from: "192.168.1.212").contains("dev eth1"))
    }
}
