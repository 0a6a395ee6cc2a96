// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
import TestSupport

/// Kernel events: what someone else removes is put back from the cached metadata read, at
/// once and without asking the metadata service; and the loop never runs two cycles at once.
@Suite(.requiresRoot, .blockingWork) struct DaemonRestoreTests {
    /// A poll far away, so that anything that happens within a test comes from kernel events.
    static let quietPoll = ["ENI_AGENT_POLL_INTERVAL": "60s"]

    @Test func anOwnedAddressDeletedIsRestoredWithoutAMetadataRead() async throws {
        let run = try await DaemonLab.start(environment: Self.quietPoll)
        defer { run.destroy() }
        guard await run.waitReady() != nil else { return }
        // Kernel-secondary addresses only: deleting a subnet's first address takes the others
        // with it (promote_secondaries is off here), which is another test's subject.
        let victims = [("eth1", "192.168.1.212/24"), ("eth1", "192.168.1.213/24"), ("eth2", "192.168.1.222/24"),
                       ("eth0", "192.168.1.202/24"), ("eth1", "2408:4005:3a4:ab00::212/64")]
        let monitor = try await KernelMonitor(run.lab.ecs)
        defer { monitor.stop() }
        let requestsBefore = try run.lab.metadataRequests()
        for i in 0..<10 {
            let (link, address) = victims[i % victims.count]
            try run.lab.ecs.ip("addr", "del", address, "dev", link)
            let restored = await eventually(timeout: .seconds(30), every: .milliseconds(10)) {
                (try? run.lab.addresses(link).contains(address)) ?? false
            }
            #expect(restored, "\(address) on \(link) not restored\n\(run.diagnostics)")
        }
        #expect(try run.lab.metadataRequests() == requestsBefore, "a restore read the metadata service")
        // Between the kernel's deletion event and its addition event, as `ip monitor` saw them.
        let measured = victims.flatMap { link, address in monitor.restoreLatencies(" \(link)    inet\(address.contains(":") ? "6" : "") \(address) ") }
        // Every deletion has its restore; how long it took is printed (scripts/bench measures it).
        #expect(measured.count == 10 && measured.allSatisfy { $0 != nil }, "\(measured)\n\(monitor.events)")
        let latencies = measured.compactMap { $0 }
        report("deleted address -> restored (kernel event to kernel event): median \(median(latencies).ms) ms, max \(latencies.max()!.ms) ms over \(latencies.count) (\(latencies.map(\.ms)) ms)")

        // One notice per change, with the fields journalctl filters on.
        let restore = try #require(run.lines("notice", containing: "added 192.168.1.212/24 on eth1").last, "\(run.diagnostics)")
        #expect(restore.fields["action"] == "add")
        #expect(restore.fields["address"] == "192.168.1.212")
        #expect(restore.fields["eni_id"] == "eni-bp1d66qjxb3qoin3ex02")
        #expect(restore.fields["ifname"] == "eth1")
        #expect(restore.fields["sync_id"].flatMap(Int.init).map { $0 > 1 } == true, "\(restore)")
    }

    @Test func anOwnedRuleDeletedIsRestoredWithoutAMetadataRead() async throws {
        let run = try await DaemonLab.start(environment: Self.quietPoll)
        defer { run.destroy() }
        guard await run.waitReady() != nil else { return }
        let owned = try Self.ownedRules(run.lab)
        let victims = [("", "from 192.168.1.212 lookup 100"), ("", "from 192.168.1.222 lookup 200"),
                       ("", "lookup main suppress_prefixlength 0"), ("-6", "from 2408:4005:3a4:ab00::212 lookup 100"),
                       ("-6", "lookup main suppress_prefixlength 0")].map { family, pattern in
            owned.first { $0.family == family && $0.line.contains(pattern) }
        }
        let rules = try #require(victims as? [OwnedRule], "\(owned)")
        let monitor = try await KernelMonitor(run.lab.ecs)
        defer { monitor.stop() }
        let requestsBefore = try run.lab.metadataRequests()
        for i in 0..<10 {
            let rule = rules[i % rules.count]
            try Command.check(["ip", "-n", run.lab.ecs.name] + rule.deleteArguments)
            let restored = await eventually(timeout: .seconds(30), every: .milliseconds(10)) {
                (try? Self.ownedRules(run.lab).contains(rule)) ?? false
            }
            #expect(restored, "\(rule) not restored\n\(run.diagnostics)")
        }
        #expect(try run.lab.metadataRequests() == requestsBefore, "a restore read the metadata service")
        // The two suppress rules print alike; each is deleted and restored before the next.
        let measured = Set(rules.map { "\($0.priority):\t\($0.line) " }).flatMap { monitor.restoreLatencies($0) }
        #expect(measured.count == 10 && measured.allSatisfy { $0 != nil }, "\(measured)\n\(monitor.events)")
        let latencies = measured.compactMap { $0 }
        report("deleted rule -> restored (kernel event to kernel event): median \(median(latencies).ms) ms, max \(latencies.max()!.ms) ms over \(latencies.count) (\(latencies.map(\.ms)) ms)")
    }

    @Test func aSecondaryENITakenDownComesBackUpWithItsRoutesWithoutAMetadataRead() async throws {
        let run = try await DaemonLab.start(environment: Self.quietPoll)
        defer { run.destroy() }
        guard await run.waitReady() != nil else { return }
        let before = try run.lab.kernelPicture()
        let requestsBefore = try run.lab.metadataRequests()
        // Down flushes the link's routes in every table (and its IPv6 addresses).
        try run.lab.ecs.ip("link", "set", "eth2", "down")
        let back = await eventually(timeout: .seconds(30), every: .milliseconds(10)) {
            (try? run.lab.kernelPicture()).map { $0.addresses == before.addresses && $0.routes == before.routes } ?? false
        }
        let after = try run.lab.kernelPicture()
        #expect(back, "\(after)\n\(run.diagnostics)")
        #expect(try run.lab.routeGet("8.8.8.8", from: "192.168.1.222").contains("dev eth2"))
        #expect(try run.lab.metadataRequests() == requestsBefore)
    }

    /// Issue 15: a flushed per-ENI table waited for the next poll. Its routes come back on the
    /// kernel's route events, from the cached read, long before the poll (a minute away).
    @Test func aFlushedENIRouteTableIsRestoredWithoutAMetadataRead() async throws {
        let run = try await DaemonLab.start(environment: Self.quietPoll)
        defer { run.destroy() }
        guard await run.waitReady() != nil else { return }
        let before = try run.lab.kernelPicture()
        let requestsBefore = try run.lab.metadataRequests()
        // The tables of eth2's routes (its default route's and its subnet's), both families.
        let tables = Set(before.routes.filter { $0.contains("dev eth2") }.compactMap { line -> String? in
            let words = line.split(separator: " ")
            return words.firstIndex(of: "table").map { String(words[$0 + 1]) }
        })
        try #require(!tables.isEmpty, "\(before.routes)")
        for table in tables.sorted() {
            try run.lab.ecs.ip("route", "flush", "table", table)
            try run.lab.ecs.ip("-6", "route", "flush", "table", table)
        }
        // Put back (often before `ip route show` could see them gone): by a later sync than the
        // first, one notice per route.
        let restored = { run.lines("notice", containing: "added route").filter { line in
            line.fields["sync_id"] != "1" && tables.contains { line.message.contains("table \($0) ") }
        } }
        let back = await eventually(timeout: .seconds(30), every: .milliseconds(10)) {
            restored().count >= tables.count && ((try? run.lab.kernelPicture()).map { $0.routes == before.routes } ?? false)
        }
        let after = try run.lab.kernelPicture()
        #expect(back, "\(after.routes.symmetricDifference(before.routes))\n\(run.diagnostics)")
        #expect(try run.lab.metadataRequests() == requestsBefore, "a restore read the metadata service")
    }

    /// Issue 15: every veth a container runtime made read the metadata. Veths that come, join a
    /// bridge, go up and go make no metadata request; a deleted address put back afterwards
    /// marks that the daemon has taken every event before it.
    @Test func vethChurnReadsNoMetadata() async throws {
        let run = try await DaemonLab.start(environment: Self.quietPoll)
        defer { run.destroy() }
        guard await run.waitReady() != nil else { return }
        let requestsBefore = try run.lab.metadataRequests()
        try run.lab.ecs.ip("link", "add", "cbr0", "type", "bridge")
        defer { _ = try? run.lab.ecs.ip("link", "del", "cbr0") }
        for n in 0..<10 {
            try run.lab.ecs.ip("link", "add", "cveth\(n)", "type", "veth", "peer", "name", "cpeer\(n)")
            try run.lab.ecs.ip("link", "set", "cveth\(n)", "master", "cbr0", "up")
            try run.lab.ecs.ip("link", "set", "cpeer\(n)", "up")
        }
        for n in 0..<10 { try run.lab.ecs.ip("link", "del", "cveth\(n)") }
        try run.lab.ecs.ip("addr", "del", "192.168.1.213/24", "dev", "eth1")
        #expect(await eventually(timeout: .seconds(30), every: .milliseconds(10)) {
            (try? run.lab.addresses("eth1").contains("192.168.1.213/24")) ?? false
        }, "\(run.diagnostics)")
        #expect(try run.lab.metadataRequests() == requestsBefore, "veths read the metadata service")
    }

    /// A read held up by the metadata service for 10 s while addresses are deleted under it: no
    /// second cycle starts meanwhile, and the events that came during the cycle make exactly
    /// one more. Judged from the engine's own log (each cycle ends with a debug line, and
    /// every change names its cycle), not from timing: a SIGHUP after the restores is a marker
    /// read, which is the cycle right after that one more.
    @Test func cyclesNeverOverlapAndEventsDuringACycleScheduleExactlyOneMore() async throws {
        // A request timeout longer than the delay: the read waits for the answer, no retry.
        let run = try await DaemonLab.start(environment: Self.quietPoll.merging(["ENI_AGENT_LOG_LEVEL": "debug",
                                                                                  "ENI_AGENT_IMDS_TIMEOUT": "15s"]) { $1 })
        defer { run.destroy() }
        guard await run.waitReady() != nil else { return }
        let macsPath = "/latest/meta-data/network/interfaces/macs/"
        try run.lab.admin("PUT", "/_sim/faults", body: #"[{"path": "\#(macsPath)", "delayMs": 10000, "times": 1}]"#)
        let macsReads = { (try? run.lab.admin("GET", "/_sim/counters")).flatMap { text in
            ((try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]).flatMap { ($0["byPath"] as? [String: Int])?[macsPath] }
        } ?? 0 }
        let readsBefore = macsReads()
        let slow = { Self.syncLines(run).first { $0.ms >= 9900 } }

        // A new link with a NIC's MAC is a reason for a metadata read (it may be an ENI being
        // hot-plugged).
        try run.lab.ecs.ip("link", "add", "vtest0", "address", "00:16:3e:99:00:01", "type", "veth", "peer", "name", "vtest1")
        #expect(await eventually(timeout: .seconds(30), every: .milliseconds(10)) { macsReads() > readsBefore }, "\(run.diagnostics)")
        let deleted = [("eth1", "192.168.1.212/24"), ("eth1", "192.168.1.213/24"), ("eth2", "192.168.1.222/24")]
        for (link, address) in deleted { try run.lab.ecs.ip("addr", "del", address, "dev", link) }
        // The scenario holds only if the slow cycle is still running now.
        try #require(slow() == nil, "the machine took 10 s to delete three addresses")

        let restored = await eventually(timeout: .seconds(60), every: .milliseconds(10)) {
            deleted.allSatisfy { link, address in (try? run.lab.addresses(link).contains(address)) ?? false }
        }
        #expect(restored, "\(run.diagnostics)")
        let slowCycle = try #require(slow(), "\(Self.syncLines(run))")
        // The one more cycle has ended once the restores are in (or they were the slow one's).
        #expect(await eventually(timeout: .seconds(30)) { Self.syncLines(run).contains { $0.id == slowCycle.id + 1 } }, "\(run.diagnostics)")
        run.daemon.signal(SIGHUP)
        #expect(await eventually(timeout: .seconds(30)) { !run.lines("notice", containing: "configuration reloaded").isEmpty
            && Self.syncLines(run).contains { $0.id == slowCycle.id + 2 } }, "\(run.diagnostics)")

        let all = Self.syncLines(run)
        report("cycles: \(all.map(\.description)); the slow read's is #\(slowCycle.id)")
        // Cycles end in the order they start (each ends before the next begins)...
        #expect(all.map(\.id) == Array(1...all.count), "\(all)")
        #expect(slowCycle.requests > 0)
        // ...what happened during the slow one made exactly one more, from the cache, and the
        // marker's read came right after it.
        let after = all.filter { $0.id > slowCycle.id }
        #expect(after.count == 2 && after.first?.requests == 0 && after.last?.requests ?? 0 > 0, "\(after)\n\(run.diagnostics)")
        // The deletions were put back by the slow cycle (its kernel read came after its metadata
        // read) or by the one after it: never by a cycle that ran alongside.
        let restores = run.lines("notice").filter { line in
            line.fields["action"] == "add" && line.fields["sync_id"] != "1" && line.message.contains("/24 on")
                && ["192.168.1.212", "192.168.1.213", "192.168.1.222"].contains(line.fields["address"] ?? "")
        }
        #expect(restores.count == 3 && restores.allSatisfy { [slowCycle.id, slowCycle.id + 1].contains(Int($0.fields["sync_id"] ?? "") ?? -1) },
                "\(restores)")
    }

    struct SyncLine: CustomStringConvertible {
        var id: Int
        var ms: Int
        var requests: Int
        var description: String { "#\(id) \(ms) ms \(requests) requests" }
    }

    /// The engine's debug line at the end of every cycle: `sync #7: … in 12 ms, 0 metadata requests`.
    static func syncLines(_ run: DaemonLab) -> [SyncLine] {
        let pattern = try! NSRegularExpression(pattern: #"^sync #(\d+): .* in (\d+) ms, (\d+) metadata requests$"#)
        return run.lines("debug").compactMap { line in
            let text = line.message
            guard let match = pattern.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) else { return nil }
            func int(_ i: Int) -> Int { Int(text[Range(match.range(at: i), in: text)!])! }
            return SyncLine(id: int(1), ms: int(2), requests: int(3))
        }
    }

    struct OwnedRule: Hashable, CustomStringConvertible {
        var family: String
        var priority: String
        /// The selector and action as `ip rule` prints them, without the priority and protocol.
        var line: String
        var deleteArguments: [String] {
            (family.isEmpty ? [] : [family]) + ["rule", "del", "priority", priority] + line.split(separator: " ").map(String.init)
        }
        var description: String { "\(family) \(priority): \(line)" }
    }

    static func ownedRules(_ lab: LabFixture) throws -> [OwnedRule] {
        try ["", "-6"].flatMap { family in
            try (family.isEmpty ? lab.ecs.ip("rule") : lab.ecs.ip("-6", "rule")).split(separator: "\n").compactMap { raw -> OwnedRule? in
                let text = String(raw)
                guard let colon = text.firstIndex(of: ":"), text.contains("proto 233") || text.contains("proto eni-agent") else { return nil }
                let body = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                    .replacingOccurrences(of: " proto 233", with: "").replacingOccurrences(of: " proto eni-agent", with: "")
                return OwnedRule(family: family, priority: String(text[..<colon]), line: body)
            }
        }
    }
}

extension DaemonRestoreTests {
    /// `eni-agent status` while the daemon runs: the state file it reads is kept current.
    @Test func statusReadsTheStateFileTheDaemonKeepsCurrent() async throws {
        let run = try await DaemonLab.start(environment: Self.quietPoll)
        defer { run.destroy() }
        guard await run.waitReady() != nil else { return }
        func status() throws -> [String: Any] {
            let result = try run.lab.agent(["status", "--json"])
            guard result.status == 0, let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
                throw TestFailure("\(result)")
            }
            return json
        }
        func lastSync(_ json: [String: Any]) -> Int { (json["lastSync"] as? [String: Any])?["id"] as? Int ?? -1 }
        let before = try status()
        #expect(before["writerRunning"] as? Bool == true && before["pid"] as? Int == Int(run.daemon.pid), "\(before)")
        let eth1 = (before["enis"] as? [[String: Any]])?.first { $0["ifname"] as? String == "eth1" }
        let states = (eth1?["addresses"] as? [[String: Any]] ?? []).map { "\($0["address"] ?? "") \($0["state"] ?? "")" }
        #expect(states.contains("192.168.1.212/24 owned"), "\(states)")

        try run.lab.ecs.ip("addr", "del", "192.168.1.212/24", "dev", "eth1")
        #expect(await eventually { (try? run.lab.addresses("eth1").contains("192.168.1.212/24")) ?? false })
        let updated = await eventually { ((try? status()).map(lastSync) ?? -1) > lastSync(before) }
        let after = try status()
        #expect(updated, "\(after)")
    }
}
