// SPDX-License-Identifier: Apache-2.0
@testable import Agent
import Foundation
import Logging
import Metadata
import Model
import Netlink
import NIOPosix

/// The daemon's loop on an event-loop thread of its own, as the daemon runs it, but with a fake
/// kernel, a scripted metadata service and a recording notifier: the loop and the sync engine
/// are the real ones, and so is the triage of kernel events (`event(_:)`).
final class LoopHarness: Sendable {
    let kernel: FakeKernel
    let metadata: ScriptedMetadata
    let notifier: RecordingNotifier
    let log = RecordingLog()
    let engine: SyncEngine
    let wakeup: Wakeup
    let shutdown: Shutdown
    let stateDirectory: String
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let task: Task<Void, Never>
    private let events: AsyncStream<NetlinkEvent>.Continuation
    private let watcher: Task<Void, Never>

    /// `reload` answers SIGHUP (the starting configuration again by default).
    init(kernel: KernelState = Sample.kernel(), metadata: ScriptedMetadata = ScriptedMetadata(.network(Sample.network())),
         config: AgentConfig = AgentConfig(pollInterval: .seconds(3600)), timing: LoopTiming = LoopTiming(),
         watchdog: Duration? = nil, reload: (@Sendable () async throws -> AgentConfig)? = nil) {
        self.kernel = FakeKernel(kernel)
        self.metadata = metadata
        notifier = RecordingNotifier(watchdog: watchdog)
        stateDirectory = NSTemporaryDirectory() + "eni-agent-tests-\(UUID().uuidString)"
        var settings = config
        settings.stateDirectory = stateDirectory
        let config = settings
        let executor = LoopExecutor(group.next())
        engine = SyncEngine(config: config, kernel: self.kernel, metadata: metadata.source(for:), logger: log.logger())
        wakeup = Wakeup(timers: executor.loop)
        shutdown = Shutdown(executor: executor)
        let loop = DaemonLoop(engine: engine, notifier: notifier, wakeup: wakeup, timers: executor.loop, readiness: OnceFlag(),
                              shutdown: shutdown, config: config, timing: timing, logger: log.logger(),
                              reload: reload ?? { config })
        task = Task(executorPreference: executor) {
            var running = loop
            await running.run()
        }
        let (stream, events) = AsyncStream.makeStream(of: NetlinkEvent.self)
        self.events = events
        watcher = Task { [wakeup] in await AgentService.watchKernel(stream, wakeup) }
    }

    func post(_ reason: WakeReason) { wakeup.post(reason) }

    /// A kernel event, through the daemon's triage, as `NetlinkEvents` would deliver it.
    func event(_ events: NetlinkEvent...) {
        event(contentsOf: events)
    }

    func event(contentsOf events: [NetlinkEvent]) {
        for event in events { self.events.yield(event) }
    }

    /// SIGTERM: cancels a sync in flight, ends the loop; waits for it.
    func stop() async {
        shutdown.request()
        wakeup.post(.shutdown)
        await task.value
    }

    /// Stops the loop if a test has not, and removes what it created.
    func destroy() async {
        await stop()
        watcher.cancel()
        events.finish()
        await watcher.value
        await engine.shutdown()
        try? await group.shutdownGracefully()
        try? FileManager.default.removeItem(atPath: stateDirectory)
    }

    /// Sync reports so far, from the engine's debug line at the end of each cycle.
    var cycles: Int { log.lines(.debug).filter { $0.message.hasPrefix("sync #") }.count }

    var watchdogPings: Int { notifier.messages.filter(\.isWatchdog).count }
}

extension LoopHarness {
    /// Runs `body` with a loop started as `init` says, and always destroys it after.
    static func with(kernel: KernelState = Sample.kernel(), metadata: ScriptedMetadata = ScriptedMetadata(.network(Sample.network())),
                     config: AgentConfig, timing: LoopTiming = LoopTiming(), watchdog: Duration? = nil,
                     reload: (@Sendable () async throws -> AgentConfig)? = nil,
                     _ body: (LoopHarness) async throws -> Void) async throws {
        let loop = LoopHarness(kernel: kernel, metadata: metadata, config: config, timing: timing, watchdog: watchdog, reload: reload)
        do {
            try await body(loop)
        } catch {
            await loop.destroy()
            throw error
        }
        await loop.destroy()
    }
}
