// SPDX-License-Identifier: Apache-2.0
@testable import Agent
import Metadata
import Model
import Synchronization
import Testing

/// The daemon's loop with the real engine, schedule and wake-up, and fakes for the kernel, the
/// metadata service and systemd. Each test waits for what the loop does (a read, a message, a
/// log line), never for a length of time.
@Suite struct DaemonLoopTests {
    /// A poll far away: what happens within a test comes from the events it makes.
    static let quiet = AgentConfig(pollInterval: .seconds(3600))

    static func sync(id: Int, in log: RecordingLog) -> RecordingLog.Line? {
        log.lines(.debug).first { $0.message.hasPrefix("sync #\(id):") }
    }

    /// Issue 15: a daemon whose watchdog wants a ping every third of 3 s stopped polling at
    /// 10 s. Scaled down tenfold: WATCHDOG_USEC of 300 ms, a poll of 1 s.
    @Test func aShortWatchdogLeavesThePollAlone() async throws {
        try await LoopHarness.with(config: AgentConfig(pollInterval: .seconds(1)), watchdog: .milliseconds(300)) { loop in
            let polled = await eventually { loop.metadata.reads >= 4 }
            #expect(polled, "\(loop.metadata.reads) reads; \(loop.log.all)")
            // Pings keep coming meanwhile: about three a second, so many more than reads.
            #expect(loop.watchdogPings > loop.metadata.reads, "\(loop.watchdogPings) pings for \(loop.metadata.reads) reads")
        }
    }

    @Test func readyComesOnceAfterTheFirstCompleteSyncWithItsStatus() async throws {
        try await LoopHarness.with(config: Self.quiet) { loop in
            #expect(await eventually { loop.notifier.messages.contains(where: \.isReady) })
            let messages = loop.notifier.messages
            #expect(messages.first == .status("starting: first sync"))
            guard case .ready(let status?) = messages.first(where: \.isReady) else {
                Issue.record("\(messages)")
                return
            }
            #expect(status.hasPrefix("3 ENIs, 5 addresses; sync #1: "), "\(status)")
            // A second complete sync (a link event) is no second READY.
            loop.post(.linkEvent)
            #expect(await eventually { loop.metadata.reads == 2 && loop.cycles == 2 })
            #expect(await eventually { loop.notifier.messages.filter { if case .status = $0 { true } else { false } }.count >= 2 })
            #expect(loop.notifier.messages.filter(\.isReady).count == 1, "\(loop.notifier.messages)")
        }
    }

    @Test func noReadyWhileMetadataIsIncomplete() async throws {
        var network = Sample.network()
        network.enis[2].completeness = .incomplete(reason: "ipv6s: HTTP 500")
        try await LoopHarness.with(metadata: ScriptedMetadata(.network(network)), config: Self.quiet) { loop in
            #expect(await eventually { loop.cycles == 1 })
            loop.post(.linkEvent)
            #expect(await eventually { loop.cycles == 2 })
            #expect(!loop.notifier.messages.contains { $0.isReady }, "\(loop.notifier.messages)")
        }
    }

    @Test func aRemovedAddressIsRestoredFromTheCacheWithoutARead() async throws {
        try await LoopHarness.with(config: Self.quiet) { loop in
            #expect(await eventually { loop.cycles == 1 })
            loop.kernel.change { $0.addresses.removeAll { $0.prefix.description == "10.0.0.12/24" } }
            loop.post(.kernelEvent)
            #expect(await eventually { loop.kernel.current.addresses.contains { $0.prefix.description == "10.0.0.12/24" } })
            #expect(await eventually { loop.cycles == 2 })
            #expect(loop.metadata.reads == 1)
            #expect(Self.sync(id: 2, in: loop.log)?.message.contains("0 metadata requests") == true, "\(loop.log.all)")
        }
    }

    /// Events during a sync wait for it, and all of them make one more sync: the sync that
    /// follows a held read is #3 (the re-plan), and a marker read after it is #4.
    @Test func eventsDuringASyncMakeExactlyOneMore() async throws {
        let gate = Gate()
        let metadata = ScriptedMetadata(.network(Sample.network()), .held(gate, Sample.network()), .network(Sample.network()))
        try await LoopHarness.with(metadata: metadata, config: Self.quiet) { loop in
            #expect(await eventually { loop.cycles == 1 })
            loop.post(.linkEvent)
            #expect(await eventually { metadata.reads == 2 }, "the second read is held")
            for address in ["10.0.0.12/24", "10.0.0.22/24", "10.0.0.2/24"] {
                loop.kernel.change { $0.addresses.removeAll { $0.prefix.description == address } }
                loop.post(.kernelEvent)
            }
            gate.open()
            #expect(await eventually { loop.cycles == 3 })
            loop.post(.linkEvent)
            #expect(await eventually { loop.cycles == 4 })
            let third = try #require(Self.sync(id: 3, in: loop.log), "\(loop.log.all)")
            #expect(third.message.contains("0 metadata requests"), "the one after the held read re-plans from the cache")
            #expect(Self.sync(id: 4, in: loop.log)?.message.contains("7 metadata requests") == true, "\(loop.log.all)")
            #expect(metadata.reads == 3)
        }
    }

    @Test func anOutageWarnsOnceRemovesNothingBacksOffAndSaysWhenItEnds() async throws {
        let failure = ScriptedMetadata.Answer.failure(.unavailable(reason: "HTTP 503"))
        let metadata = ScriptedMetadata(.network(Sample.network()), failure, failure, failure, failure, .network(Sample.network()))
        try await LoopHarness.with(metadata: metadata, config: AgentConfig(pollInterval: .milliseconds(20)),
                                   timing: LoopTiming(backoffCap: .milliseconds(100))) { loop in
            #expect(await eventually { !loop.log.lines(.notice, containing: "instance metadata reachable again").isEmpty }, "\(loop.log.all)")
            #expect(loop.log.lines(.warning, containing: "instance metadata unavailable").count == 1, "\(loop.log.all)")
            #expect(loop.log.lines(.warning).count == 1, "\(loop.log.lines(.warning))")
            #expect(!loop.kernel.applied.contains { $0.isRemoval })
            let statuses = loop.notifier.messages.compactMap { if case .status(let text) = $0 { text } else { nil } }
            #expect(statuses.contains { $0.contains("metadata unavailable") && $0.contains("IMDS failing for") }, "\(statuses)")
        }
    }

    @Test func aReloadAnnouncesItselfReadsAtOnceAndABadOneKeepsTheConfiguration() async throws {
        var fresh = Self.quiet
        fresh.metadata.port = 8080
        let answers = ReloadScript([.success(fresh), .failure(ConfigProblem())])
        try await LoopHarness.with(config: Self.quiet, reload: { try answers.next() }) { loop in
            #expect(await eventually { loop.notifier.messages.contains(where: \.isReady) })
            loop.post(.reload)
            #expect(await eventually { loop.metadata.reads == 2 }, "a reload reads at once")
            #expect(loop.metadata.configurations.map(\.port) == [80, 8080])
            #expect(loop.log.lines(.notice, containing: "configuration reloaded").count == 1)
            let afterReload = Array(loop.notifier.messages.drop { $0 != .reloading })
            #expect(afterReload.first == .reloading && afterReload.contains(where: \.isReady), "\(loop.notifier.messages)")

            loop.post(.reload)
            #expect(await eventually { loop.metadata.reads == 3 })
            #expect(loop.log.lines(.error, containing: "configuration reload failed, keeping the running configuration").count == 1)
            #expect(loop.metadata.configurations.count == 2, "a bad reload makes no new metadata source")
            #expect(loop.notifier.messages.filter { $0 == .reloading }.count == 2)
            #expect(loop.notifier.messages.filter(\.isReady).count == 3)
        }
    }

    /// A read that waits on a silent metadata service is progress: the sync's pinger feeds the
    /// watchdog while it waits (the read never ends here, so every ping is the pinger's).
    @Test func theWatchdogIsFedWhileAReadHangs() async throws {
        let metadata = ScriptedMetadata(.silence)
        try await LoopHarness.with(metadata: metadata, config: Self.quiet, watchdog: .milliseconds(300)) { loop in
            #expect(await eventually { metadata.reads == 1 })
            let before = loop.watchdogPings
            #expect(await eventually { loop.watchdogPings >= before + 3 }, "\(loop.notifier.messages)")
            #expect(loop.cycles == 0)
        }
    }

    @Test func aStopDuringASilentReadEndsTheLoopAndTouchesNothing() async throws {
        let metadata = ScriptedMetadata(.silence)
        try await LoopHarness.with(metadata: metadata, config: Self.quiet) { loop in
            #expect(await eventually { metadata.reads == 1 })
            await loop.stop()
            #expect(loop.notifier.messages.last == .stopping)
            #expect(loop.kernel.applied.isEmpty)
            #expect(loop.kernel.snapshots == 0, "a cancelled read is no reason to read the kernel")
        }
    }

    @Test func afterTheKernelEventsEndTheLoopNoLongerPings() async throws {
        try await LoopHarness.with(config: Self.quiet, watchdog: .milliseconds(300)) { loop in
            #expect(await eventually { loop.watchdogPings >= 2 })
            loop.post(.eventsEnded)
            #expect(await eventually { !loop.log.lines(.error, containing: "kernel event stream ended").isEmpty })
            let pings = loop.watchdogPings
            // Three more syncs, each after a debounce: with pings every 100 ms, a loop that still
            // pinged would have.
            for n in 2...4 {
                loop.post(.linkEvent)
                #expect(await eventually { loop.cycles == n })
            }
            #expect(loop.watchdogPings == pings)
        }
    }

    @Test func aNICMetadataDoesNotListYetIsLookedForEveryRetryThenConfigured() async throws {
        var kernel = Sample.kernel()
        kernel.links.append(Link(index: 5, name: "eth3", mac: Sample.mac(3), isUp: false))
        let metadata = ScriptedMetadata(.network(Sample.network()))
        try await LoopHarness.with(kernel: kernel, metadata: metadata, config: Self.quiet,
                                   timing: LoopTiming(hotplugRetry: .milliseconds(20))) { loop in
            #expect(await eventually { metadata.reads >= 4 }, "looked for again and again, with a poll an hour away")
            metadata.script(.network(Sample.network(enis: 4)))
            #expect(await eventually { loop.kernel.current.addresses.contains { $0.ifname == "eth3" } })
            #expect(loop.log.lines(.info, containing: "waiting for metadata to list eth3").count == 1, "said once")
        }
    }

    @Test func aCleanupOnStopThatCannotReadTheKernelSaysSo() async throws {
        var config = Self.quiet
        config.cleanupOnStop = true
        try await LoopHarness.with(config: config) { loop in
            #expect(await eventually { loop.cycles == 1 })
            loop.kernel.failSnapshots("EPERM")
            await loop.stop()
            let line = try #require(loop.log.lines(.error, containing: "cleanup on stop removed nothing").first, "\(loop.log.all)")
            #expect(line.message.contains("EPERM"))
            #expect(loop.log.lines(.notice, containing: "objects removed").isEmpty)
        }
    }
}

struct ConfigProblem: Error {}

/// What successive SIGHUPs load.
final class ReloadScript: Sendable {
    private let answers: Mutex<[Result<AgentConfig, ConfigProblem>]>
    init(_ answers: [Result<AgentConfig, ConfigProblem>]) { self.answers = Mutex(answers) }
    func next() throws -> AgentConfig { try answers.withLock { $0.removeFirst() }.get() }
}

