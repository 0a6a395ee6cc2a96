// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
import TestSupport

/// Kernels before Linux 6.1 (Alibaba Cloud Linux 3 runs 5.10) keep no `IFA_PROTO` on addresses:
/// what eni-agent added is known from the state file alone (docs/design.md §3, §4.8). The test
/// switch makes the agent neither write nor read `IFA_PROTO`, as on such a kernel, so that this
/// path runs for real on the machine's newer kernel: across a daemon restart, a `--sync` after a
/// daemon, and a `kill -9` in the middle of an apply.
@Suite(.requiresRoot, .blockingWork) struct NoAddressMarksTests {
    static let noMarks = ["ENIAGENT_TEST_NO_IFA_PROTO": "1"]
    /// An administrator's address on a managed ENI, never the agent's.
    static let foreign = "192.168.1.99/24"

    /// The addresses on `ifname` that the kernel holds with a protocol (`IFA_PROTO`), its own
    /// link-local ones aside: none under the switch.
    static func marked(_ lab: LabFixture, _ ifname: String) throws -> [String] {
        try lab.ecs.ipJSON("addr", "show", "dev", ifname).flatMap { $0["addr_info"] as? [[String: Any]] ?? [] }
            .filter { $0["protocol"] != nil && ($0["scope"] as? String) != "link" }.compactMap { $0["local"] as? String }
    }

    /// The addresses the lab's state file records as the agent's.
    static func recorded(_ lab: LabFixture) -> Set<String> {
        let text = (try? lab.stateFileText()) ?? "{}"
        return Set(((try? jq(".ownership.addresses[]?.prefix", text)) ?? "").split(separator: "\n").map(String.init))
    }

    /// A daemon under the switch that converged, with the administrator's address on eth1, then
    /// stopped (SIGTERM); metadata then no longer lists 192.168.1.213, which the daemon added.
    static func stoppedDaemon(poll: String) async throws -> DaemonLab? {
        let run = try await DaemonLab.start(environment: noMarks.merging(["ENI_AGENT_POLL_INTERVAL": poll]) { $1 })
        guard await run.waitReady() != nil else {
            run.destroy()
            return nil
        }
        #expect(!run.lines("notice", containing: "test switch ENIAGENT_TEST_NO_IFA_PROTO=1").isEmpty, "\(run.diagnostics)")
        try run.lab.ecs.ip("addr", "add", foreign, "dev", "eth1")
        let recorded = await eventually(timeout: .seconds(30)) { Self.recorded(run.lab).contains("192.168.1.213/24") }
        #expect(recorded, "\((try? run.lab.stateFileText()) ?? "no state file")\n\(run.diagnostics)")
        // What would make these tests pass without the state file: a mark in the kernel.
        #expect(try marked(run.lab, "eth1").isEmpty, "the switch still sends IFA_PROTO")
        let stopped = await run.stop()
        #expect(stopped.status == 0, "\(run.diagnostics)")
        try run.lab.removeIPv4("192.168.1.213", from: LabFixture.eth1MAC)
        return run
    }

    @Test func aRestartedDaemonKeepsOwnershipAndRemovesAnUnassignedAddressAfterTheGrace() async throws {
        guard let run = try await Self.stoppedDaemon(poll: "1s") else { return }
        defer { run.destroy() }
        let lastSync = try #require(Int(try jq(".lastSync.id", run.lab.stateFileText())))

        // Plain lines on stderr, no service manager to notify.
        let restarted = try run.lab.startDaemon(environment: Self.noMarks.merging(
            ["ENI_AGENT_POLL_INTERVAL": "1s", "JOURNAL_STREAM": "", "WATCHDOG_USEC": "", "NOTIFY_SOCKET": ""]) { $1 })
        defer { restarted.signal(SIGKILL) }
        let removed = await eventually(timeout: .seconds(60), every: .milliseconds(50)) {
            !((try? run.lab.addresses("eth1")) ?? ["?"]).contains("192.168.1.213/24")
        }
        #expect(removed, "\(restarted.stderr)")
        let line = try #require(restarted.stderr.split(separator: "\n").first { $0.contains("removed 192.168.1.213/24 from eth1") },
                                "\(restarted.stderr)")
        // After the grace: not at the restarted daemon's first sync, which continues the ids.
        let removedAt = line.range(of: "sync_id=").flatMap { Int(line[$0.upperBound...].prefix { $0.isNumber }) }
        #expect((removedAt ?? 0) > lastSync + 1, "\(line)")
        #expect(try run.lab.addresses("eth1").contains(Self.foreign), "a foreign address was removed")
        #expect(try run.lab.addresses("eth1").contains("192.168.1.212/24"))
        #expect(try run.lab.rules().filter { $0.contains("from 192.168.1.213 ") }.isEmpty)

        // `status`, under the same switch, tells the agent's from the administrator's by the record.
        let status = try await run.lab.cli(["status", "--json"], environment: Self.noMarks)
        let eth1 = ".enis[] | select(.ifname == \"eth1\") | .addresses[]"
        #expect(try jq("\(eth1) | select(.address == \"192.168.1.212/24\") | .state", status.stdout) == "owned", "\(status)")
        #expect(try jq("\(eth1) | select(.address == \"\(Self.foreign)\") | .state", status.stdout) == "foreign", "\(status)")
    }

    @Test func aSyncAfterADaemonRemovesWhatTheDaemonAddedAndNothingElse() async throws {
        guard let run = try await Self.stoppedDaemon(poll: "60s") else { return }
        defer { run.destroy() }

        #expect(try await run.lab.sync(environment: Self.noMarks).status == 0)
        #expect(try run.lab.addresses("eth1").contains("192.168.1.213/24"), "removed before the grace")
        let second = try await run.lab.sync(["--json"], environment: Self.noMarks)
        #expect(second.status == 0, "\(second)")
        #expect(!(try run.lab.addresses("eth1")).contains("192.168.1.213/24"), "\(second.stdout)")
        #expect(try run.lab.addresses("eth1").contains(Self.foreign), "a foreign address was removed")
        #expect(try run.lab.addresses("eth1").contains("192.168.1.212/24"))
        #expect(try await run.lab.plannedOps(environment: Self.noMarks) == 0)
    }

    /// The process is killed (SIGKILL, from the test hook: no timing) once the kernel has applied
    /// the op that adds 192.168.1.213 to eth1, with later addresses still to add. The addresses
    /// it added are recorded (intent first), so the next runs remove those metadata no longer
    /// lists, and leave the administrator's alone: one present before, and one that metadata
    /// lists and eni-agent therefore never added.
    @Test func aKillInTheMiddleOfAnApplyLeavesNothingThatIsNobodys() async throws {
        let lab = try await LabFixture.start()
        defer { lab.destroy() }
        try lab.ecs.ip("addr", "add", Self.foreign, "dev", "eth1")
        try lab.ecs.ip("addr", "add", "192.168.1.214/24", "dev", "eth1")
        try lab.addIPv4("192.168.1.214", to: LabFixture.eth1MAC)

        let planned = try await lab.sync(["--dry-run", "--json"], environment: Self.noMarks)
        let commands = try jq(".ops[].command", planned.stdout).split(separator: "\n")
        let cut = try #require(commands.firstIndex { Self.addedPrefix($0) == "192.168.1.213/24" }, "\(planned.stdout)")
        let added = Set(commands[...cut].compactMap(Self.addedPrefix))
        let notYet = Set(commands[(cut + 1)...].compactMap(Self.addedPrefix))
        try #require(added.contains("192.168.1.212/24") && notYet.contains("192.168.1.222/24"), "\(commands)")

        let killed = try await lab.sync(environment: Self.noMarks.merging(["ENIAGENT_TEST_KILL_AFTER_OPS": "\(cut + 1)"]) { $1 })
        #expect(killed.status == SIGKILL, "\(killed)")
        let present = try Set(["eth0", "eth1", "eth2"].flatMap { try lab.addresses($0) })
        #expect(added.isSubset(of: present), "\(added) \(present)")
        #expect(notYet.isDisjoint(with: present), "ops after the kill ran: \(notYet) \(present)")
        #expect(try Self.marked(lab, "eth1").isEmpty, "the switch still sends IFA_PROTO")

        // Metadata no longer lists two addresses added before the kill, nor the administrator's.
        try lab.removeIPv4("192.168.1.212", from: LabFixture.eth1MAC)
        try lab.removeIPv4("192.168.1.213", from: LabFixture.eth1MAC)
        try lab.removeIPv4("192.168.1.214", from: LabFixture.eth1MAC)
        for run in 1...2 {
            let result = try await lab.sync(["--json"], environment: Self.noMarks)
            #expect(result.status == 0, "run \(run): \(result)")
        }
        let eth1 = try lab.addresses("eth1")
        #expect(!eth1.contains("192.168.1.212/24") && !eth1.contains("192.168.1.213/24"), "leftovers of the killed run: \(eth1)")
        #expect(eth1.contains(Self.foreign) && eth1.contains("192.168.1.214/24"), "a foreign address was removed: \(eth1)")
        #expect(try lab.addresses("eth2").contains("192.168.1.222/24"), "the killed run's remaining adds were made")
        #expect(try await lab.plannedOps(environment: Self.noMarks) == 0)
    }

    /// The address an `ip [-6] address add` command adds.
    static func addedPrefix(_ command: Substring) -> String? {
        command.range(of: "address add ").flatMap { command[$0.upperBound...].split(separator: " ").first.map(String.init) }
    }
}
