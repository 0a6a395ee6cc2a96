// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
import TestSupport

/// `eni-agent --sync` against the real kernel: docs/design.md §3 (what the kernel looks like)
/// and the ownership and grace rules of section 4 across separate runs.
@Suite(.requiresRoot, .blockingWork) struct SyncTests {
    @Test func theFirstSyncCreatesEverySectionThreeObjectAndTheSecondPlansNothing() async throws {
        let lab = try await LabFixture.start()
        defer { lab.destroy() }
        let first = try await lab.sync()
        #expect(first.status == 0, "\(first)")

        // Primary ENI: its primary address untouched, the secondary one added in main (no
        // noprefixroute, so its connected route stays), IPv6 with nodad and a default route.
        let primary = try #require(try lab.addressInfo("eth0", Sample.primaryAddress))
        #expect(primary["prefixlen"] as? Int == 24)
        let secondary = try #require(try lab.addressInfo("eth0", Sample.eth0Secondary))
        #expect(secondary["prefixlen"] as? Int == 24 && secondary["noprefixroute"] == nil)
        let primary6 = try #require(try lab.addressInfo("eth0", Sample.eth0IPv6))
        #expect(primary6["prefixlen"] as? Int == 64 && primary6["nodad"] as? Bool == true)
        #expect(try lab.ecs.ip("-6", "route", "show", "default").contains("default via \(Sample.gateway6) dev eth0 proto 233"))
        #expect(!(try lab.ecs.ip("rule")).contains(Sample.eth0Secondary), "no policy rules for the primary ENI")

        for (link, v4, v6) in [(1, Sample.eth1IPv4, Sample.eth1IPv6), (2, Sample.eth2IPv4, Sample.eth2IPv6)] {
            let name = "eth\(link)"
            let index = try lab.linkIndex(name)
            let subnetTable = 10000 + index
            let defaultTable = 20000 + index
            let flags = try lab.ecs.ipJSON("link", "show", "dev", name).first?["flags"] as? [String] ?? []
            #expect(flags.contains("UP"), "\(name) brought up")

            for address in v4 {
                let info = try #require(try lab.addressInfo(name, address), "\(address) on \(name)")
                #expect(info["prefixlen"] as? Int == 24 && info["noprefixroute"] as? Bool == true, "\(info)")
            }
            for address in v6 {
                let info = try #require(try lab.addressInfo(name, address), "\(address) on \(name)")
                #expect(info["prefixlen"] as? Int == 64 && info["noprefixroute"] as? Bool == true && info["nodad"] as? Bool == true)
            }
            // noprefixroute: no connected route of this ENI lands in main.
            #expect(!(try lab.ecs.ip("route", "show", "table", "main")).contains("dev \(name)"))
            #expect(!(try lab.ecs.ip("-6", "route", "show", "table", "main")).contains("2408:4005:3a4:ab00::/64 dev \(name)"))

            let subnet = try lab.ecs.ipJSON("route", "show", "table", "\(subnetTable)")
            #expect(subnet.count == 1)
            #expect(subnet.first?["dst"] as? String == "192.168.1.0/24" && subnet.first?["dev"] as? String == name
                    && subnet.first?["scope"] as? String == "link" && subnet.first?["prefsrc"] as? String == v4[0]
                    && subnet.first?["protocol"] as? String == "233", "\(subnet)")
            let defaults = try lab.ecs.ipJSON("route", "show", "table", "\(defaultTable)")
            #expect(defaults.count == 1)
            #expect(defaults.first?["dst"] as? String == "default" && defaults.first?["gateway"] as? String == Sample.gateway
                    && (defaults.first?["flags"] as? [String] ?? []).contains("onlink")
                    && defaults.first?["protocol"] as? String == "233", "\(defaults)")
            let subnet6 = try lab.ecs.ipJSON("-6", "route", "show", "table", "\(subnetTable)")
            #expect(subnet6.contains { $0["dst"] as? String == "2408:4005:3a4:ab00::/64" && $0["dev"] as? String == name && $0["protocol"] as? String == "233" })
            let defaults6 = try lab.ecs.ipJSON("-6", "route", "show", "table", "\(defaultTable)")
            #expect(defaults6.contains { $0["dst"] as? String == "default" && $0["gateway"] as? String == Sample.gateway6
                                         && $0["dev"] as? String == name && $0["protocol"] as? String == "233" }, "\(defaults6)")

            let rules = Set((try lab.ecs.ipJSON("rule") + lab.ecs.ipJSON("-6", "rule")).map(RuleLine.init))
            for address in v4 + v6 {
                #expect(rules.contains(RuleLine(priority: subnetTable, source: address, table: "\(subnetTable)")), "\(address)")
                #expect(rules.contains(RuleLine(priority: defaultTable, source: address, table: "\(defaultTable)")), "\(address)")
            }
            for address in v4 { #expect(try lab.routeGet("8.8.8.8", from: address).contains("dev \(name) table \(defaultTable)")) }
        }
        // One suppress rule per family, ordered between the subnet and default rules.
        for family in ["-4", "-6"] {
            let suppress = try lab.ecs.ipJSON(family, "rule").filter { $0["priority"] as? Int == 19999 }
            #expect(suppress.count == 1 && suppress.first?["suppress_prefixlen"] as? Int == 0
                    && suppress.first?["table"] as? String == "main" && suppress.first?["protocol"] as? String == "233", "\(family) \(suppress)")
        }
        // Traffic from the primary ENI's addresses is unchanged.
        for address in [Sample.primaryAddress, Sample.eth0Secondary] {
            let route = try lab.routeGet("8.8.8.8", from: address)
            #expect(route.contains("via \(Sample.gateway) dev eth0") && !route.contains("table"), "\(route)")
        }

        #expect(try await lab.plannedOps() == 0)
        try await lab.settle()
        let before = try await lab.kernelSnapshot()
        let second = try await lab.sync(["--json"])
        #expect(second.status == 0, "\(second)")
        #expect(try jq(".ops | length", second.stdout) == "0")
        #expect(try await lab.kernelSnapshot() == before)
    }

    @Test func anAddressAddedInMetadataIsAddedByTheNextSync() async throws {
        let lab = try await LabFixture.start()
        defer { lab.destroy() }
        #expect(try await lab.sync().status == 0)
        try lab.addIPv4("192.168.1.214", to: LabFixture.eth1MAC)
        try lab.editENI(LabFixture.eth2MAC) { $0["ipv6s"] = Sample.eth2IPv6 + ["2408:4005:3a4:ab00::222"] }

        let result = try await lab.sync(["--json"])
        #expect(result.status == 0, "\(result)")
        let index = try lab.linkIndex("eth1")
        #expect(try lab.addresses("eth1").contains("192.168.1.214/24"))
        #expect(try lab.addresses("eth2").contains("2408:4005:3a4:ab00::222/64"))
        let rules = try lab.rules().joined(separator: "\n")
        #expect(rules.contains("from 192.168.1.214 lookup \(10000 + index)") && rules.contains("from 192.168.1.214 lookup \(20000 + index)"))
        #expect(rules.contains("from 2408:4005:3a4:ab00::222 lookup"))
        // 2 addresses, 2 rules each.
        #expect(try jq(".ops | length", result.stdout) == "6", "\(result.stdout)")
        #expect(try lab.routeGet("8.8.8.8", from: "192.168.1.214").contains("dev eth1"))
        #expect(try await lab.plannedOps() == 0)
    }

    @Test func anAddressRemovedFromMetadataGoesOnlyAtTheSecondCompleteRead() async throws {
        let lab = try await LabFixture.start()
        defer { lab.destroy() }
        #expect(try await lab.sync().status == 0)
        try lab.removeIPv4("192.168.1.213", from: LabFixture.eth1MAC)

        let first = try await lab.sync(["--json"])
        #expect(first.status == 0, "\(first)")
        #expect(try jq(".ops | length", first.stdout) == "0", "the first read without it removes nothing")
        #expect(try jq(".notes[].message", first.stdout).contains("removal(s) wait for 2"))
        #expect(try lab.addresses("eth1").contains("192.168.1.213/24"))
        #expect(try lab.rules().filter { $0.contains("192.168.1.213") }.count == 2)

        let second = try await lab.sync(["--json"])
        #expect(second.status == 0, "\(second)")
        #expect(try jq("[.ops[] | select(.action == \"remove\")] | length", second.stdout) == "3", "\(second.stdout)")
        #expect(try jq(".ops[0].reason", second.stdout).contains("absent from 2 complete reads"))
        #expect(!(try lab.addresses("eth1")).contains("192.168.1.213/24"))
        #expect(try lab.rules().filter { $0.contains("192.168.1.213") }.isEmpty)
        // The rest of the ENI is untouched.
        #expect(try lab.addresses("eth1").contains("192.168.1.212/24"))
        #expect(try await lab.plannedOps() == 0)
    }

    @Test func theRemovalGraceComesFromTheConfiguration() async throws {
        let lab = try await LabFixture.start(config: "ENI_AGENT_REMOVAL_GRACE=3")
        defer { lab.destroy() }
        #expect(try await lab.sync().status == 0)
        try lab.removeIPv4("192.168.1.222", from: LabFixture.eth2MAC)
        for run in 1...2 {
            #expect(try await lab.sync().status == 0)
            #expect(try lab.addresses("eth2").contains("192.168.1.222/24"), "still there after \(run) reads")
        }
        #expect(try await lab.sync().status == 0)
        #expect(!(try lab.addresses("eth2")).contains("192.168.1.222/24"))

        // And 1 removes at the first complete read.
        try lab.removeIPv4("192.168.1.212", from: LabFixture.eth1MAC)
        #expect(try await lab.sync(environment: ["ENI_AGENT_REMOVAL_GRACE": "1"]).status == 0)
        #expect(!(try lab.addresses("eth1")).contains("192.168.1.212/24"))
    }

    @Test func anAddressBackInMetadataBeforeTheGraceEndsIsNeverRemoved() async throws {
        let lab = try await LabFixture.start()
        defer { lab.destroy() }
        #expect(try await lab.sync().status == 0)
        try lab.removeIPv4("192.168.1.213", from: LabFixture.eth1MAC)
        #expect(try await lab.sync().status == 0)
        try lab.addIPv4("192.168.1.213", to: LabFixture.eth1MAC)
        #expect(try await lab.sync().status == 0)
        // A flap: gone once, back, gone once again. The count restarted, so nothing is removed.
        try lab.removeIPv4("192.168.1.213", from: LabFixture.eth1MAC)
        let result = try await lab.sync(["--json"])
        #expect(try jq(".ops | length", result.stdout) == "0", "\(result.stdout)")
        #expect(try lab.addresses("eth1").contains("192.168.1.213/24"))
    }

    @Test func anENIGoneFromMetadataWhileItsLinkStaysLosesItsObjectsAfterTheGrace() async throws {
        let lab = try await LabFixture.start()
        defer { lab.destroy() }
        #expect(try await lab.sync().status == 0)
        let index = try lab.linkIndex("eth2")
        try lab.admin("DELETE", "/_sim/enis/\(LabFixture.eth2MAC)")

        #expect(try await lab.sync().status == 0)
        #expect(try lab.addresses("eth2").count == 3, "kept during the grace")
        #expect(try !lab.ecs.ip("route", "show", "table", "\(20000 + index)").isEmpty)

        let second = try await lab.sync(["--json"])
        #expect(second.status == 0, "\(second)")
        #expect(try lab.addresses("eth2").isEmpty)
        #expect(try lab.rules().filter { $0.contains("lookup \(10000 + index)") || $0.contains("lookup \(20000 + index)") }.isEmpty)
        #expect(try lab.ecs.ip("route", "show", "table", "\(10000 + index)").isEmpty)
        #expect(try lab.ecs.ip("route", "show", "table", "\(20000 + index)").isEmpty)
        #expect(try lab.ecs.ip("-6", "route", "show", "table", "\(20000 + index)").isEmpty)
        // eth1 still needs the suppress rules; nothing of eth1 moved.
        #expect(try lab.rules().filter { $0.contains("suppress_prefixlength 0") }.count == 2)
        #expect(try lab.addresses("eth1").count == 5)
        #expect(try await lab.plannedOps() == 0)
    }

    @Test func aDeletedLinksDanglingRulesAreRemovedByTheNextSync() async throws {
        let lab = try await LabFixture.start()
        defer { lab.destroy() }
        #expect(try await lab.sync().status == 0)
        let index = try lab.linkIndex("eth2")
        try lab.ecs.ip("link", "del", "eth2")
        #expect(try lab.rules().filter { $0.contains("lookup \(20000 + index)") }.count == 3, "the kernel keeps the rules")

        let result = try await lab.sync(["--json"])
        #expect(result.status == 0, "\(result)")
        #expect(try lab.rules().filter { $0.contains("lookup \(10000 + index)") || $0.contains("lookup \(20000 + index)") }.isEmpty,
                "\(result.stdout)")
        #expect(try jq("[.ops[] | select(.reason | contains(\"is gone\"))] | length", result.stdout) == "6")
        #expect(try lab.rules().filter { $0.contains("192.168.1.21") }.count == 6, "eth1's rules stay")
        #expect(try await lab.plannedOps() == 0)
    }

    @Test func anAddressSomebodyElseAddedIsNeverClaimedNorRemoved() async throws {
        let lab = try await LabFixture.start()
        defer { lab.destroy() }
        // An administrator's address on a managed ENI that metadata lists, and another it does not.
        try lab.ecs.ip("link", "set", "eth1", "up")
        try lab.ecs.ip("addr", "add", "192.168.1.214/24", "dev", "eth1")
        try lab.ecs.ip("addr", "add", "192.168.1.99/24", "dev", "eth1")
        try lab.addIPv4("192.168.1.214", to: LabFixture.eth1MAC)

        let first = try await lab.sync(["--json"])
        #expect(first.status == 0, "\(first)")
        #expect(try jq("[.ops[] | select(.command | contains(\"address add 192.168.1.214\"))] | length", first.stdout) == "0")
        let owned = try jq("[.ownership.addresses[].prefix] | join(\" \")", try lab.stateFileText())
        #expect(owned.contains("192.168.1.212") && !owned.contains("192.168.1.214") && !owned.contains("192.168.1.99"), "\(owned)")
        let status = try await lab.cli(["status", "--json"])
        #expect(try jq(".enis[] | select(.ifname == \"eth1\") | .addresses[] | select(.address == \"192.168.1.214/24\") | .state", status.stdout) == "foreign")

        try lab.removeIPv4("192.168.1.214", from: LabFixture.eth1MAC)
        for _ in 1...3 { #expect(try await lab.sync().status == 0) }
        #expect(try lab.addresses("eth1").contains("192.168.1.214/24"))
        #expect(try lab.addresses("eth1").contains("192.168.1.99/24"))
        // Its rules were the agent's (proto 233): they follow the grace like any other.
        #expect(try lab.rules().filter { $0.contains("192.168.1.214") }.isEmpty)
        #expect(try await lab.plannedOps() == 0)
    }

    @Test func aCorruptStateFileIsReportedReplacedAndKernelMarksStillProveOwnership() async throws {
        let lab = try await LabFixture.start()
        defer { lab.destroy() }
        #expect(try await lab.sync().status == 0)
        try "{ not json".write(toFile: lab.stateFilePath, atomically: false, encoding: .utf8)
        try lab.removeIPv4("192.168.1.213", from: LabFixture.eth1MAC)

        let first = try await lab.sync()
        #expect(first.status == 0, "\(first)")
        #expect(first.stderr.contains("state file \(lab.stateFilePath) is damaged") && first.stderr.contains("not a JSON object"), "\(first.stderr)")
        #expect(try jq(".version", lab.stateFileText()) == "1", "rewritten whole")
        // The record is gone, but the addresses carry IFA_PROTO 233: still the agent's to remove.
        #expect(try await lab.sync().status == 0)
        #expect(!(try lab.addresses("eth1")).contains("192.168.1.213/24"))
    }

    @Test func theStateFileIsValidJSONWrittenAtomically() async throws {
        let lab = try await LabFixture.start()
        defer { lab.destroy() }
        #expect(!FileManager.default.fileExists(atPath: lab.stateFilePath))
        #expect(try await lab.sync(["--dry-run"]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: lab.stateFilePath), "a dry run writes nothing")
        #expect(try await lab.sync().status == 0)
        #expect(try await lab.sync().status == 0)
        let text = try lab.stateFileText()
        #expect(try jq(".version", text) == "1")
        // Records fill in only where the kernel keeps no address marks (before Linux 6.1).
        let release = try String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8).split(separator: ".").compactMap { Int($0) }
        let marks = release.count >= 2 && (release[0], release[1]) >= (6, 1)
        #expect(try jq(".ownership.addresses | length", text) == (marks ? "0" : "10"))
        #expect(try jq(".ownership.removalCounts | length", text) == "0")
        #expect(try jq(".lastSync.exitCode", text) == "0")
        #expect(try jq(".network.enis | length", text) == "3")
        // No temporary file left; the writers' lock file stays (an empty file, never renamed).
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: lab.stateDirectory).filter { !["state.json", "state.lock"].contains($0) }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }
}

/// One `ip -j rule` entry, comparable.
struct RuleLine: Hashable {
    var priority: Int
    var source: String
    var table: String

    init(priority: Int, source: String, table: String) {
        self.priority = priority
        self.source = source
        self.table = table
    }

    init(_ json: [String: Any]) {
        priority = json["priority"] as? Int ?? -1
        source = json["src"] as? String ?? "all"
        table = json["table"] as? String ?? ""
    }
}
