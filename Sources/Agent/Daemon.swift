// SPDX-License-Identifier: Apache-2.0
public import Logging
import Model
import Netlink
import ServiceLifecycle
import Systemd
import UnixSignals

/// `eni-agent` as a systemd service (docs/design.md §5).
public enum Daemon {
    /// Runs until SIGTERM/SIGINT. `reload` builds a new configuration the way start-up did;
    /// `version` goes into the metrics' build info.
    public static func run(config: AgentConfig, logger: Logger, version: String,
                           reload: @escaping @Sendable () async throws -> AgentConfig) async throws {
        let runtime = try AgentRuntime(config: config, logger: logger)
        let service = AgentService(runtime: runtime, config: config, logger: logger, version: version, reload: reload)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: service)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        do {
            try await group.run()
        } catch {
            await runtime.shutdown()
            throw error
        }
        await runtime.shutdown()
    }
}

/// The loop and what feeds it: kernel events, SIGHUP, the ready timeout, the graceful shutdown.
final class AgentService: Service, Sendable {
    let runtime: AgentRuntime
    let initialConfig: AgentConfig
    let logger: Logger
    let reload: @Sendable () async throws -> AgentConfig
    let notifier = Notifier()
    let timing: LoopTiming
    let metrics: MetricsFile

    init(runtime: AgentRuntime, config: AgentConfig, logger: Logger, version: String, timing: LoopTiming = LoopTiming(),
         reload: @escaping @Sendable () async throws -> AgentConfig) {
        self.runtime = runtime
        self.initialConfig = config
        self.logger = logger
        self.timing = timing
        metrics = MetricsFile(path: config.metricsFile, version: version, io: runtime.blocking, logger: logger)
        self.reload = reload
    }

    /// On the runtime's event-loop thread: a quiet poll is then a few steps on one thread, not
    /// a relay between it and the concurrency pool's threads (which the pool also ends and
    /// starts again between polls). Its blocking calls go to the runtime's blocking thread.
    func run() async throws {
        try await withTaskExecutorPreference(runtime.executor) { try await self.runLoop() }
    }

    private func runLoop() async throws {
        let wakeup = Wakeup(timers: runtime.executor.loop)
        let readiness = OnceFlag()
        let shutdown = Shutdown(executor: runtime.executor)
        // Both before the first sync: SIGHUP's default action would end the process, and a
        // change the first sync's kernel read does not see must come as an event.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let events: NetlinkEvents?
        do {
            events = try NetlinkEvents()
        } catch {
            events = nil
            logger.warning("cannot subscribe to kernel network events (\(error)); restoring removed addresses waits for the next poll")
        }
        let loop = DaemonLoop(engine: runtime.engine, notifier: notifier, wakeup: wakeup, timers: runtime.executor.loop,
                              readiness: readiness, shutdown: shutdown, config: initialConfig, timing: timing, logger: logger,
                              metrics: metrics, reload: reload)
        await withTaskGroup(of: Void.self) { tasks in
            if let events {
                tasks.addTask {
                    await Self.watchKernel(events, wakeup)
                    events.stop()
                }
            }
            tasks.addTask {
                for await _ in hangups { wakeup.post(.reload) }
            }
            tasks.addTask { await self.readyTimeout(readiness) }
            tasks.addTask { await self.metrics.refreshPeriodically(on: self.runtime.executor.loop) }
            await withGracefulShutdownHandler {
                var running = loop
                await running.run()
            } onGracefulShutdown: {
                shutdown.request()
                wakeup.post(.shutdown)
            }
            tasks.cancelAll()
        }
    }

    /// READY with a degraded STATUS once `ready-timeout` has passed without a complete sync.
    private func readyTimeout(_ readiness: OnceFlag) async {
        guard (try? await Task.sleep(for: initialConfig.readyTimeout)) != nil, readiness.claim() else { return }
        let last = await runtime.engine.lastReport
        let timeout = DaemonLoop.format(initialConfig.readyTimeout)
        notifier.ready(status: "degraded: no complete sync within \(timeout); " + (last.map(\.summary) ?? "no metadata read has finished yet"))
        logger.warning("reporting ready without a complete sync after \(timeout) so that boot goes on; still trying")
    }

    /// Kernel events → wake reasons (`WakeReason.init(_:)`). The stream ending (other than by
    /// cancellation) is reported, so that the watchdog stops being fed by a loop that no longer
    /// sees the kernel.
    static func watchKernel(_ events: some AsyncSequence<NetlinkEvent, Never>, _ wakeup: Wakeup) async {
        for await event in events {
            if let reason = WakeReason(event) { wakeup.post(reason) }
        }
        if !Task.isCancelled { wakeup.post(.eventsEnded) }
    }
}
