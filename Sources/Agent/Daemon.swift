public import Logging
import Metadata
import Model
import Netlink
import ServiceLifecycle
import Synchronization
import Systemd
import UnixSignals

/// `eni-agent` as a systemd service (docs/design.md §5): one loop that syncs on a jittered poll, on
/// kernel events and on SIGHUP, never overlapping, and tells systemd how it goes.
public enum Daemon {
    /// Runs until SIGTERM/SIGINT. `reload` builds a new configuration the way start-up did.
    public static func run(config: AgentConfig, logger: Logger,
                           reload: @escaping @Sendable () async throws -> AgentConfig) async throws {
        let runtime = try AgentRuntime(config: config, logger: logger)
        let service = AgentService(runtime: runtime, config: config, logger: logger, reload: reload)
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: service)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        ))
        try await group.run()
        await runtime.shutdown()
    }
}

/// Timing of the loop, separate so that tests and benchmarks can shorten it.
struct LoopTiming: Sendable {
    /// Kernel events are coalesced for this long: an `ip addr flush` is one re-plan, not fifty.
    var debounce: Duration = .milliseconds(50)
    /// A new NIC whose MAC metadata does not list yet is re-read this often...
    var hotplugRetry: Duration = .seconds(1)
    /// ...for this long, then with doubling delays up to the poll interval.
    var hotplugWindow: Duration = .seconds(30)
    /// IMDS failures back off from the poll interval, doubling, up to this.
    var backoffCap: Duration = .seconds(60)
    /// While metadata keeps failing, a reminder is logged this often (one line per state change
    /// otherwise).
    var reminder: Duration = .seconds(300)
    /// A sync may take the metadata read budget plus this (kernel read and apply) and still count
    /// as progress for the watchdog; past it the pings stop and systemd restarts the service.
    var applyAllowance: Duration = .seconds(10)
}

/// A flag that is set once, shared between the loop and the tasks around it. READY=1 is one:
/// whichever comes first sends it, the first complete sync (the loop) or the ready timeout (a
/// timer, so that a read hanging for its whole budget never holds up boot).
final class OnceFlag: Sendable {
    private let state = Mutex(false)

    /// True for the one caller that sets it.
    func claim() -> Bool {
        state.withLock { set in
            defer { set = true }
            return !set
        }
    }

    var isSet: Bool { state.withLock { $0 } }
}

/// Stopping, and the sync to cancel when it happens: a metadata read can take its whole budget,
/// and SIGTERM must not wait for it. One lock for both, so that a sync that starts as the stop
/// comes is cancelled either by the stop (registered first) or by the registration (stop first).
final class Shutdown: Sendable {
    /// Where the sync runs: the daemon's loop thread.
    let executor: any TaskExecutor
    private let state = Mutex<(stopping: Bool, sync: Task<SyncReport, Never>?)>((false, nil))

    func request() {
        let sync = state.withLock { state in
            state.stopping = true
            return state.sync
        }
        sync?.cancel()
    }

    var isRequested: Bool { state.withLock { $0.stopping } }

    init(executor: any TaskExecutor) { self.executor = executor }

    /// Runs `operation` as the sync a stop cancels.
    func run(_ operation: @escaping @Sendable () async -> SyncReport) async -> SyncReport {
        let task = Task(executorPreference: executor) { await operation() }
        let stopping = state.withLock { state in
            state.sync = task
            return state.stopping
        }
        if stopping { task.cancel() }
        let report = await task.value
        state.withLock { $0.sync = nil }
        return report
    }
}

final class AgentService: Service, Sendable {
    let runtime: AgentRuntime
    let initialConfig: AgentConfig
    let logger: Logger
    let reload: @Sendable () async throws -> AgentConfig
    let notifier = Notifier()
    let timing: LoopTiming

    init(runtime: AgentRuntime, config: AgentConfig, logger: Logger, timing: LoopTiming = LoopTiming(),
         reload: @escaping @Sendable () async throws -> AgentConfig) {
        self.runtime = runtime
        self.initialConfig = config
        self.logger = logger
        self.timing = timing
        self.reload = reload
    }

    /// On the runtime's event-loop thread: a quiet poll is then a few steps on one thread, not
    /// a relay between it and the concurrency pool's threads (which the pool also ends and
    /// starts again between polls): half the context switches, a tenth less CPU at a 10 s poll.
    /// The loop's blocking work (netlink, the state file) never overlaps its HTTP requests.
    func run() async throws {
        try await withTaskExecutorPreference(runtime.executor) { try await self.runLoops() }
    }

    private func runLoops() async throws {
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
        await withTaskGroup(of: Void.self) { tasks in
            if let events { tasks.addTask { await self.watchKernel(events, wakeup) } }
            tasks.addTask {
                for await _ in hangups { wakeup.post(.reload) }
            }
            tasks.addTask { await self.readyTimeout(readiness) }
            await withGracefulShutdownHandler {
                await self.loop(wakeup, readiness: readiness, shutdown: shutdown)
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
        notifier.ready(status: "degraded: no complete sync within \(Self.format(initialConfig.readyTimeout)); "
                       + (last.map(\.summary) ?? "no metadata read has finished yet"))
        logger.warning("reporting ready without a complete sync after \(Self.format(initialConfig.readyTimeout)) so that boot goes on; still trying")
    }

    /// Kernel events → wake reasons. The stream ending (other than by cancellation) is reported,
    /// so that the watchdog stops being fed by a loop that no longer sees the kernel.
    private func watchKernel(_ events: NetlinkEvents, _ wakeup: Wakeup) async {
        for await event in events {
            switch event {
            case .linkAdded, .linkRemoved, .overflow: wakeup.post(.linkEvent)
            case .linkChanged, .addressRemoved, .ruleRemoved: wakeup.post(.kernelEvent)
            case .addressAdded, .ruleAdded, .routeAdded, .routeRemoved: continue
            }
        }
        events.stop()
        if !Task.isCancelled { wakeup.post(.eventsEnded) }
    }

    private func loop(_ wakeup: Wakeup, readiness: OnceFlag, shutdown: Shutdown) async {
        let clock = ContinuousClock()
        let engine = runtime.engine
        var config = initialConfig
        var log = logger
        await engine.restoreState()
        notifier.status("starting: first sync")

        var nextPoll = clock.now                 // the first sync runs at once
        var pendingCache: ContinuousClock.Instant?
        var pendingFull: ContinuousClock.Instant?
        var failures = 0
        var failingSince: ContinuousClock.Instant?
        var lastReminder = clock.now
        var hotplugSince: ContinuousClock.Instant?
        var hotplugDelay = timing.hotplugRetry
        var eventsAlive = true
        var lastReport: SyncReport?

        while true {
            // Feed the watchdog from here (and from `sync` while one runs), never from a timer
            // of its own: a loop that stops turning stops the pings. A third of the interval
            // leaves room for a late wake-up.
            let watchdogTick = notifier.watchdogInterval.map { clock.now + $0 / 3 }
            let deadline = [nextPoll, pendingCache, pendingFull, watchdogTick].compactMap { $0 }.min()!
            let reasons = await wakeup.wait(until: deadline)
            let now = clock.now

            if reasons.contains(.shutdown) { break }
            if reasons.contains(.eventsEnded) {
                eventsAlive = false
                log.error("the kernel event stream ended; the watchdog will restart eni-agent")
            }
            if reasons.contains(.linkEvent) { pendingFull = pendingFull ?? now + timing.debounce }
            if reasons.contains(.kernelEvent) { pendingCache = pendingCache ?? now + timing.debounce }
            if reasons.contains(.reload) {
                // Before the first READY there is no reload to announce: systemd still waits for
                // READY=1 as the end of start-up, which comes from the first complete sync.
                let announce = readiness.isSet
                if announce { notifier.reloading() }
                do {
                    let fresh = try await reload()
                    config = fresh
                    log.logLevel = fresh.logLevel
                    await engine.update(config: fresh, logLevel: fresh.logLevel)
                    await runtime.reconfigureMetadata(fresh.metadata)
                    log.notice("configuration reloaded")
                } catch {
                    log.error("configuration reload failed, keeping the running configuration: \(error)")
                }
                nextPoll = now
                if announce { notifier.ready(status: lastReport.map { statusLine($0, failingSince: failingSince, now: now) }) }
            }

            // What is due: a full sync (poll, link change, reload) subsumes a cached re-plan.
            var source: SyncEngine.Source?
            if nextPoll <= now || (pendingFull.map { $0 <= now } ?? false) {
                source = .metadata
            } else if let due = pendingCache, due <= now {
                source = await engine.hasCachedMetadata ? .cache : .metadata
            }
            if let source {
                if source == .metadata { pendingFull = nil }
                pendingCache = nil
                let report = await sync(source, limit: config.metadata.readBudget + timing.applyAllowance, vouch: eventsAlive,
                                        shutdown: shutdown)
                if shutdown.isRequested { break }
                lastReport = report

                if source == .metadata {
                    switch report.metadata {
                    case .unavailable(let reason):
                        failures += 1
                        if failingSince == nil {
                            failingSince = now
                            lastReminder = now
                            log.warning("instance metadata unavailable: \(reason); keeping the current configuration, nothing removed, retrying with backoff")
                        } else if now - lastReminder >= timing.reminder {
                            lastReminder = now
                            log.warning("instance metadata still unavailable after \(Self.format(now - failingSince!)): \(reason)")
                        }
                    case .complete, .incomplete, .cached:
                        if let since = failingSince {
                            log.notice("instance metadata reachable again after \(Self.format(now - since))")
                        }
                        failures = 0
                        failingSince = nil
                    }
                    // Hot-plug: a NIC the metadata does not list yet is looked for fast, then less.
                    if report.unlistedNICs.isEmpty {
                        hotplugSince = nil
                    } else if hotplugSince == nil {
                        hotplugSince = now
                        hotplugDelay = timing.hotplugRetry
                        log.info("waiting for metadata to list \(report.unlistedNICs.joined(separator: ", "))")
                    }
                    nextPoll = clock.now + nextDelay(config: config, failures: failures, hotplugSince: hotplugSince,
                                                     hotplugDelay: &hotplugDelay, now: now)
                }

                if report.kernelError == nil, case .complete = report.metadata, readiness.claim() {
                    notifier.ready(status: statusLine(report, failingSince: failingSince, now: now))
                    log.notice("ready: \(report.summary)")
                } else {
                    notifier.status(statusLine(report, failingSince: failingSince, now: now))
                }
            }
            if eventsAlive { notifier.watchdog() }
        }

        notifier.stopping(status: "stopping")
        if config.cleanupOnStop {
            let results = await engine.cleanUp()
            log.notice("cleanup on stop: \(results.filter(\.outcome.succeeded).count) objects removed, \(results.filter { !$0.outcome.succeeded }.count) failed")
        } else {
            log.notice("stopping; addresses, routes and rules stay in place")
        }
    }

    /// One sync, cancelled by a graceful shutdown (a metadata read can take its whole budget),
    /// with the watchdog fed while it runs, up to `limit`: a read that waits on a silent
    /// metadata service is progress, an apply stuck past any budget is not.
    private func sync(_ source: SyncEngine.Source, limit: Duration, vouch: Bool, shutdown: Shutdown) async -> SyncReport {
        let engine = runtime.engine
        let notifier = notifier
        let pinger = notifier.watchdogInterval.flatMap { interval in
            vouch ? Task {
                let clock = ContinuousClock()
                let end = clock.now + limit
                while clock.now + interval / 3 < end {
                    guard (try? await Task.sleep(for: interval / 3)) != nil else { return }
                    notifier.watchdog()
                }
            } : nil
        }
        let report = await shutdown.run { await engine.sync(from: source) }
        pinger?.cancel()
        return report
    }

    /// Poll interval ±10 %, or the hot-plug schedule, or the IMDS backoff.
    private func nextDelay(config: AgentConfig, failures: Int, hotplugSince: ContinuousClock.Instant?,
                           hotplugDelay: inout Duration, now: ContinuousClock.Instant) -> Duration {
        func jitter(_ d: Duration) -> Duration { d * Double.random(in: 0.9...1.1) }
        if failures > 0 {
            let exponent = min(failures - 1, 16)
            let backoff = config.pollInterval * (1 << exponent)
            return jitter(min(backoff, max(timing.backoffCap, config.pollInterval)))
        }
        if let since = hotplugSince {
            if now - since < timing.hotplugWindow { return timing.hotplugRetry }
            hotplugDelay = min(hotplugDelay * 2, config.pollInterval)
            return jitter(hotplugDelay)
        }
        return jitter(config.pollInterval)
    }

    private func statusLine(_ report: SyncReport, failingSince: ContinuousClock.Instant?, now: ContinuousClock.Instant) -> String {
        var line = report.summary + "; last sync \(report.startedAt)"
        if let since = failingSince { line += "; IMDS failing for \(Self.format(now - since))" }
        return line
    }

    static func format(_ d: Duration) -> String {
        let seconds = d.components.seconds
        if seconds >= 120 { return "\(seconds / 60) min" }
        if seconds >= 1 { return "\(seconds) s" }
        return "\(Int(d.milliseconds)) ms"
    }
}
