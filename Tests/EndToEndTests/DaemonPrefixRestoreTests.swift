// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
import TestSupport

/// Kernel events restore a delegated prefix's rule or `local` route at once from the cached
/// read, with a `PREFIX` field on each change's log entry.
@Suite(.requiresRoot, .blockingWork) struct DaemonPrefixRestoreTests {
    @Test func aDeletedPrefixRuleOrLocalRouteIsRestoredWithoutAMetadataRead() async throws {
        let run = try await DaemonLab.start(config: "ENI_AGENT_PREFIXES=local", environment: DaemonRestoreTests.quietPoll) { lab in
            try lab.changePrefixes(PrefixTests.eth1MAC, add: [PrefixTests.prefix4, PrefixTests.prefix6])
        }
        defer { run.destroy() }
        guard await run.waitReady() != nil else { return }
        let lab = run.lab
        let i = try lab.linkIndex("eth1")
        let prefix = PrefixTests.prefix4
        let requestsBefore = try lab.metadataRequests()

        let deletions: [(delete: [String], present: () throws -> Bool)] = [
            (["rule", "del", "from", prefix, "priority", "\(20000 + i)"], { try lab.rules().contains("\(20000 + i):\tfrom \(prefix) lookup \(20000 + i) proto 233") }),
            (["route", "del", "local", prefix, "dev", "eth1", "table", "local"], { try lab.localRoutes().contains("local \(prefix) dev eth1 scope host") }),
            (["-6", "route", "del", "local", PrefixTests.prefix6, "dev", "eth1", "table", "local"],
             { try lab.localRoutes().contains { $0.hasPrefix("local \(PrefixTests.prefix6) dev eth1") } }),
        ]
        for (delete, present) in deletions {
            #expect(try present(), "\(delete) had nothing to delete")
            try Command.check(["ip", "-n", lab.ecs.name] + delete)
            let restored = await eventually(timeout: .seconds(30), every: .milliseconds(10)) { (try? present()) ?? false }
            #expect(restored, "not restored after ip \(delete.joined(separator: " "))\n\(run.diagnostics)")
        }
        #expect(try lab.metadataRequests() == requestsBefore, "a restore read the metadata service")

        let rule = try #require(run.lines("notice", containing: "added rule from \(prefix) lookup \(20000 + i)").last, "\(run.diagnostics)")
        #expect(rule.fields["prefix"] == prefix)
        #expect(rule.fields["eni_id"] == "eni-bp1d66qjxb3qoin3ex02")
        let route = try #require(run.lines("notice", containing: "added route local \(prefix)").last, "\(run.diagnostics)")
        #expect(route.fields["prefix"] == prefix)
        #expect(route.fields["action"] == "add")
    }
}
