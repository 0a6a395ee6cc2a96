// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
import TestSupport

/// The daemon against a changing and a failing metadata service.
@Suite(.requiresRoot, .blockingWork) struct DaemonMetadataTests {
    static let eth1MAC = "00:16:3e:00:00:02"

    @Test func aMetadataChangeIsConvergedAtThePollAndARemovalAfterTheGrace() async throws {
        let run = try await DaemonLab.start(environment: ["ENI_AGENT_POLL_INTERVAL": "1s"])
        defer { run.destroy() }
        guard await run.waitReady() != nil else { return }

        // Latencies between the change and the kernel's event, as `ip monitor` saw it: the
        // test's own polling is slow on a machine running every other test at once.
        let monitor = try await KernelMonitor(run.lab.ecs)
        defer { monitor.stop() }
        try run.lab.editSimENI(Self.eth1MAC) { eni in
            eni["privateIpv4s"] = (eni["privateIpv4s"] as! [String]) + ["192.168.1.214"]
            eni["ipv6s"] = (eni["ipv6s"] as! [String]) + ["2408:4005:3a4:ab00::213"]
        }
        let changed = KernelMonitor.now
        let added = await eventually(timeout: .seconds(30), every: .milliseconds(20)) {
            let addresses = (try? run.lab.addresses("eth1")) ?? []
            let rules = (try? run.lab.rules()) ?? []
            return addresses.contains("192.168.1.214/24") && addresses.contains("2408:4005:3a4:ab00::213/64")
                && rules.contains { $0.contains("from 192.168.1.214 lookup 200") }
        }
        #expect(added, "\(run.diagnostics)")
        let addEvent = try #require(monitor.first("inet 192.168.1.214/24", after: changed), "\(monitor.events)")
        let addLatency = (addEvent.at - changed).duration

        // A removal waits for ENI_AGENT_REMOVAL_GRACE (2) complete reads that agree.
        try run.lab.editSimENI(Self.eth1MAC) { eni in
            eni["privateIpv4s"] = (eni["privateIpv4s"] as! [String]).filter { $0 != "192.168.1.213" }
        }
        let removedAt = KernelMonitor.now
        // (The grace itself, no removal before two complete reads agree, is the planner's
        // property tests' subject; here: the daemon gets there.)
        let removed = await eventually(timeout: .seconds(30), every: .milliseconds(20)) {
            !((try? run.lab.addresses("eth1")) ?? ["?"]).contains("192.168.1.213/24")
                && !((try? run.lab.rules()) ?? ["from 192.168.1.213"]).contains { $0.contains("from 192.168.1.213 ") }
        }
        #expect(removed, "\(run.diagnostics)")
        let removeEvent = try #require(monitor.first("inet 192.168.1.213/24", deleted: true, after: removedAt), "\(monitor.events)")
        let removeLatency = (removeEvent.at - removedAt).duration
        report("metadata change -> converged at 1 s poll (kernel event): addition \(addLatency.ms) ms, removal (grace 2) \(removeLatency.ms) ms")

        let line = try #require(run.lines("notice", containing: "removed 192.168.1.213/24 from eth1").first, "\(run.diagnostics)")
        #expect(line.fields["action"] == "remove" && line.fields["address"] == "192.168.1.213" && line.fields["ifname"] == "eth1"
                && line.fields["eni_id"] == "eni-bp1d66qjxb3qoin3ex02" && line.fields["sync_id"] != nil, "\(line)")
        #expect(try run.lab.addresses("eth1").contains("192.168.1.212/24"))
    }

    /// The most requests an outage of `window` can cost when every request fails, from the code:
    /// - a read makes at most `maxAttempts` (6) requests for `macs/` (the token and the
    ///   instance keys are cached; the ENI keys are never reached), spaced by the client's
    ///   backoff, at least half of 100, 200, 400, 800, 1600 ms: a failed read lasts >= 1.55 s;
    /// - after the k-th failed read in a row the daemon waits at least 0.9 × poll × 2^(k-1)
    ///   (its backoff, less 10 % jitter), capped at 60 s.
    /// N reads start within the window only if the N-1 gaps between them fit in it; one read
    /// more is allowed for one under way when the count began (the test counts from the end of
    /// the first failed read, so a read that was past `macs/` when the fault went in is not in it).
    /// - the first failing read starts on the connections the last good read left open (at
    ///   most `maxConcurrency`, 4): a request that one of them loses is sent again at once on a
    ///   new connection, one more request each. A failed read closes its connections.
    static func requestBound(window: Duration, poll: Duration, attempts: Int = 6, keptConnections: Int = 4) -> (reads: Int, requests: Int) {
        let readTime = 1.55
        var reads = 1
        var elapsed = 0.0
        while true {
            let gap = readTime + 0.9 * min(poll.seconds * pow(2, Double(reads - 1)), 60)
            if elapsed + gap > window.seconds { break }
            elapsed += gap
            reads += 1
        }
        return (reads + 1, (reads + 1) * attempts + keptConnections)
    }

    @Test(arguments: ["500", "drop"])
    func anOutageRemovesNothingBacksOffWarnsOnceAndConvergesAfter(fault: String) async throws {
        let poll = Duration.seconds(1)
        let run = try await DaemonLab.start(environment: ["ENI_AGENT_POLL_INTERVAL": "1s"])
        defer { run.destroy() }
        guard await run.waitReady() != nil else { return }
        let before = try run.lab.kernelPicture()
        let warningsBefore = run.lines("warning").count

        let faults = fault == "drop" ? #"[{"path": "/*", "drop": true}]"# : #"[{"path": "/*", "status": 500, "body": "oops"}]"#
        try run.lab.admin("PUT", "/_sim/faults", body: faults)
        // What the metadata says changes during the outage; nothing may follow it until the
        // service answers again.
        try run.lab.editSimENI(Self.eth1MAC) { eni in
            eni["privateIpv4s"] = ((eni["privateIpv4s"] as! [String]) + ["192.168.1.214"]).filter { $0 != "192.168.1.213" }
        }
        // Five failed reads (each ends with a STATUS saying so), as an IMDS restart or a throttled
        // instance may last: long enough for the backoff to climb to 16 s. The kernel is
        // compared after each.
        let failedReads = { run.notify.messages.filter { $0.fields["STATUS"]?.contains("metadata unavailable") == true }.count }
        // Requests are counted from the first failed read on: a read in flight when the fault
        // went in may have been past `macs/`, with every key of every ENI still to fail.
        #expect(await eventually(timeout: .seconds(120)) { failedReads() >= 1 }, "\(run.diagnostics)")
        let requestsBefore = try run.lab.metadataRequests()
        let outageStart = ContinuousClock.now
        for n in 1...5 {
            #expect(await eventually(timeout: .seconds(120)) { failedReads() >= n }, "\(run.diagnostics)")
            let now = try run.lab.kernelPicture()
            #expect(now.addresses == before.addresses && now.rules == before.rules && now.routes == before.routes,
                    "changed during the outage: \(now)\n\(run.diagnostics)")
        }
        let requests = try run.lab.metadataRequests() - requestsBefore
        try run.lab.admin("DELETE", "/_sim/faults")
        let window = ContinuousClock.now - outageStart
        let bound = Self.requestBound(window: window, poll: poll)
        report("IMDS outage (\(fault)) of \(window.ms) ms at 1 s poll: \(requests) requests (bound \(bound.requests) = \(bound.reads) reads × 6 + 4 resends)")
        #expect(requests <= bound.requests, "\(requests) requests in \(window)\n\(run.diagnostics)")
        #expect(requests >= 6, "the daemon stopped asking")

        // Recovery: the next read after the current backoff (at most 1.1 × 60 s).
        let recovered = await eventually(timeout: .seconds(120), every: .milliseconds(20)) {
            let addresses = (try? run.lab.addresses("eth1")) ?? []
            return addresses.contains("192.168.1.214/24") && !addresses.contains("192.168.1.213/24")
        }
        let recovery = ContinuousClock.now - outageStart - window
        report("IMDS outage (\(fault)): converged \(recovery.ms) ms after the service came back")
        #expect(recovered, "\(run.diagnostics)")

        // One warning when it started (not one per poll), one notice when it ended.
        let warnings = Array(run.lines("warning").dropFirst(warningsBefore))
        #expect(warnings.count == 1 && warnings.first?.message.contains("instance metadata unavailable") == true,
                "\(warnings)")
        #expect(run.lines("notice", containing: "instance metadata reachable again").count == 1, "\(run.diagnostics)")
        let status = run.notify.messages.compactMap { $0.fields["STATUS"] }
        #expect(status.contains { $0.contains("IMDS failing for") }, "\(status)")
    }
}

extension DaemonMetadataTests {
    @Test func aMalformedKeyIsReportedWhenItAppearsNotOnEveryPoll() async throws {
        let run = try await DaemonLab.start(environment: ["ENI_AGENT_POLL_INTERVAL": "1s"])
        defer { run.destroy() }
        guard await run.waitReady() != nil else { return }
        let path = "/latest/meta-data/network/interfaces/macs/00:16:3e:00:00:03/ipv6s"
        try run.lab.admin("PUT", "/_sim/faults", body: #"[{"path": "\#(path)", "status": 200, "body": "[not-an-address]"}]"#)
        // Four reads that meet the bad value.
        let first = DaemonHotplugTests.reads(run.lab)
        #expect(await eventually(timeout: .seconds(60)) { DaemonHotplugTests.reads(run.lab) >= first + 4 }, "\(run.diagnostics)")
        let reads = DaemonHotplugTests.reads(run.lab) - first
        let warnings = run.lines("warning")
        // Once what is wrong, once what the agent does about it (removals held back).
        #expect(warnings.filter { $0.message.hasPrefix("metadata ipv6s") }.count == 1, "\(warnings) over \(reads) reads")
        #expect(warnings.filter { $0.message.contains("held back") }.count == 1, "\(warnings) over \(reads) reads")
        #expect(warnings.count == 2, "\(warnings) over \(reads) reads\n\(run.diagnostics)")
        // The ENI's addresses stay: an invalid read removes nothing.
        #expect(try run.lab.addresses("eth2").contains("2408:4005:3a4:ab00::221/64"))
    }
}
