// SPDX-License-Identifier: Apache-2.0
import Logging
import NIOCore

/// The daemon's loop (docs/design.md §5): it sleeps until the schedule's next deadline or an
/// event, does what is due (a metadata read, a re-plan from the cached read, a watchdog ping),
/// and tells systemd how it goes. One task runs it; cycles never overlap.
struct DaemonLoop {
    typealias Instant = ContinuousClock.Instant

    let engine: SyncEngine
    let notifier: any ServiceNotifier
    let wakeup: Wakeup
    /// Where the watchdog pinger of a running sync ticks: the loop's own event loop.
    let timers: any EventLoop
    let readiness: OnceFlag
    let shutdown: Shutdown
    let reload: @Sendable () async throws -> AgentConfig
    /// A factor from `LoopTiming.jitter`, drawn for each read's next deadline.
    let jitter: @Sendable () -> Double
    /// The metrics file, when configured (or configurable by a reload).
    let metrics: MetricsFile?
    let clock = ContinuousClock()

    private(set) var config: AgentConfig
    private var log: Logger
    private(set) var schedule: Schedule
    private var outage = MetadataOutage()
    private var lastReport: SyncReport?

    init(engine: SyncEngine, notifier: any ServiceNotifier, wakeup: Wakeup, timers: any EventLoop, readiness: OnceFlag,
         shutdown: Shutdown, config: AgentConfig, timing: LoopTiming, logger: Logger, metrics: MetricsFile? = nil,
         jitter: @escaping @Sendable () -> Double = { Double.random(in: LoopTiming.jitter) },
         reload: @escaping @Sendable () async throws -> AgentConfig) {
        self.engine = engine
        self.notifier = notifier
        self.wakeup = wakeup
        self.timers = timers
        self.readiness = readiness
        self.shutdown = shutdown
        self.reload = reload
        self.jitter = jitter
        self.metrics = metrics
        self.config = config
        log = logger
        schedule = Schedule(timing: timing, pollInterval: config.pollInterval, watchdog: notifier.watchdogInterval,
                            now: ContinuousClock.now)
    }

    /// Until a graceful shutdown; then STOPPING=1, and the cleanup if configured.
    mutating func run() async {
        await engine.restoreState()
        notifier.status("starting: first sync")
        while true {
            let reasons = await wakeup.wait(until: schedule.wake)
            if reasons.contains(.shutdown) { break }
            await take(reasons, at: clock.now)
            if let source = await dueSync(at: clock.now) {
                let report = await sync(source)
                if shutdown.isRequested { break }
                record(report, from: source, at: clock.now)
                await metrics?.record(report, from: source)
            }
            if schedule.due(at: clock.now).contains(.ping) { ping() }
        }
        await stop()
    }

    /// Events become deadlines: the first is answered at once, the rest of a burst by one more
    /// sync after the debounce.
    private mutating func take(_ reasons: Set<WakeReason>, at now: Instant) async {
        if reasons.contains(.eventsEnded) {
            schedule.stopPinging()
            log.error("the kernel event stream ended; the watchdog will restart eni-agent")
        }
        if reasons.contains(.linkEvent) { schedule.linkChanged(at: now) }
        if reasons.contains(.kernelEvent) { schedule.kernelChanged(at: now) }
        if reasons.contains(.reload) { await reloadConfiguration(at: now) }
    }

    /// SIGHUP: RELOADING=1, the configuration read again (a bad one is logged and the running
    /// one kept), a metadata read at once, READY=1. Before the first READY there is no reload
    /// to announce: systemd still waits for READY=1 as the end of start-up.
    private mutating func reloadConfiguration(at now: Instant) async {
        let announce = readiness.isSet
        if announce { notifier.reloading() }
        do {
            let fresh = try await reload()
            config = fresh
            log.logLevel = fresh.logLevel
            await engine.update(config: fresh)
            metrics?.update(path: fresh.metricsFile)
            log.notice("configuration reloaded")
        } catch {
            log.error("configuration reload failed, keeping the running configuration: \(error)")
        }
        schedule.reloaded(pollInterval: config.pollInterval, at: now)
        if announce { notifier.ready(status: lastReport.map { statusLine($0, at: now) }) }
    }

    /// The sync due now, if any. A re-plan without a cached read to re-plan from asks for a
    /// read instead, rationed like the reads link events ask for: an outage that began before any
    /// read succeeded must not let kernel churn drive the metadata service.
    private mutating func dueSync(at now: Instant) async -> SyncEngine.Source? {
        var due = schedule.due(at: now)
        if !due.contains(.read), due.contains(.replan), !(await engine.hasCachedMetadata) {
            schedule.replanNeedsRead(at: now)
            due = schedule.due(at: now)
        }
        if due.contains(.read) { return .metadata }
        if due.contains(.replan) { return .cache }
        return nil
    }

    /// One sync, cancelled by a graceful shutdown (a metadata read can take its whole budget),
    /// with the watchdog fed while it runs, up to the read budget and an allowance for the
    /// apply: a read that waits on a silent metadata service is progress, an apply stuck past
    /// any budget is not.
    private func sync(_ source: SyncEngine.Source) async -> SyncReport {
        let pinger = schedule.pingInterval.map { interval in
            let end = clock.now + config.metadata.readBudget + schedule.timing.applyAllowance
            return timers.scheduleRepeatedTask(initialDelay: TimeAmount(interval), delay: TimeAmount(interval)) { [notifier, clock] task in
                if clock.now + interval < end { notifier.watchdog() } else { task.cancel() }
            }
        }
        defer { pinger?.cancel() }
        let engine = engine
        return await shutdown.run { await engine.sync(from: source) }
    }

    /// What a finished sync changes: the schedule, the outage log, READY or STATUS.
    private mutating func record(_ report: SyncReport, from source: SyncEngine.Source, at now: Instant) {
        lastReport = report
        if source == .metadata {
            noteRead(report, at: now)
        } else {
            schedule.replanned(at: now)
        }
        if report.kernelError == nil, case .complete = report.metadata, readiness.claim() {
            notifier.ready(status: statusLine(report, at: now))
            log.notice("ready: \(report.summary)")
        } else {
            notifier.status(statusLine(report, at: now))
        }
    }

    /// A metadata read: its outage lines, its hot-plug line, and when the next read is due.
    private mutating func noteRead(_ report: SyncReport, at now: Instant) {
        var failed = false
        if case .unavailable(let reason) = report.metadata {
            failed = true
            switch outage.read(failed: true, at: now, reminder: schedule.timing.reminder) {
            case .began: log.warning("instance metadata unavailable: \(reason); keeping the current configuration, nothing removed, retrying with backoff")
            case .lasting(let time): log.warning("instance metadata still unavailable after \(Self.format(time)): \(reason)")
            case .ended, nil: break
            }
        } else if case .ended(let time) = outage.read(failed: false, at: now, reminder: schedule.timing.reminder) {
            log.notice("instance metadata reachable again after \(Self.format(time))")
        }
        let wasWaiting = schedule.hotplug != nil
        schedule.read(failed: failed, waitingForNICs: !report.unlistedNICs.isEmpty, at: now, jitter: jitter())
        if !wasWaiting, schedule.hotplug != nil {
            log.info("waiting for metadata to list \(report.unlistedNICs.joined(separator: ", "))")
        }
    }

    /// WATCHDOG=1, only from the loop itself (and from the pinger while a sync runs): a loop
    /// that stops turning stops the pings. None once the kernel events are gone (the schedule
    /// has stopped pinging): the loop no longer sees the kernel, and systemd should restart it.
    private mutating func ping() {
        notifier.watchdog()
        schedule.pinged(at: clock.now)
    }

    private func stop() async {
        notifier.stopping(status: "stopping")
        guard config.cleanupOnStop else {
            log.notice("stopping; addresses, routes and rules stay in place")
            return
        }
        do {
            let results = try await engine.cleanUp()
            log.notice("cleanup on stop: \(results.filter(\.outcome.succeeded).count) objects removed, \(results.filter { !$0.outcome.succeeded }.count) failed")
        } catch {
            log.error("cleanup on stop removed nothing: \(error); addresses, routes and rules stay in place")
        }
    }

    private func statusLine(_ report: SyncReport, at now: Instant) -> String {
        var line = report.summary + "; last sync \(report.startedAt)"
        if let since = outage.since { line += "; IMDS failing for \(Self.format(now - since))" }
        return line
    }

    static func format(_ d: Duration) -> String {
        let seconds = d.components.seconds
        if seconds >= 120 { return "\(seconds / 60) min" }
        if seconds >= 1 { return "\(seconds) s" }
        return "\(Int(d.milliseconds)) ms"
    }
}
