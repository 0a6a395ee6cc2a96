// SPDX-License-Identifier: Apache-2.0
#if canImport(Glibc)
import Glibc
#endif
import Logging
import Model
import Monitoring
import NIOCore
import Synchronization

/// The metrics file (`ENI_AGENT_METRICS_FILE`, docs/design.md §5): node_exporter's textfile
/// collector format, written through a renamed temporary file in the same directory (the
/// collector never reads a torn file, and ignores the temporary one, which does not end in
/// `.prom`). Written after a sync whose gauges changed (addresses, the metadata state, a new
/// success) and at least once a minute (`refresh`), so that the counters and the file's mtime
/// (`node_textfile_mtime_seconds`) show a live daemon. The daemon only: a oneshot `--sync`
/// leaves the file to it.
final class MetricsFile: Sendable {
    private struct State {
        var path: String?
        var metrics: AgentMetrics
        /// What the file holds now, and when it was written.
        var written: (metrics: AgentMetrics, at: ContinuousClock.Instant)?
        /// The last write failed: said once, until a write works again.
        var failing = false
    }

    private let state: Mutex<State>
    /// Where the write and its fsync run (they block); nil: wherever the caller runs.
    private let io: (any TaskExecutor)?
    private let logger: Logger
    /// The file is rewritten once it is this old (tests shorten it).
    let refresh: Duration

    init(path: String?, version: String, io: (any TaskExecutor)?, logger: Logger, refresh: Duration = .seconds(60)) {
        state = Mutex(State(path: path, metrics: AgentMetrics(version: version)))
        self.io = io
        self.logger = logger
        self.refresh = refresh
    }

    /// A reload may set, move or unset the file.
    func update(path: String?) {
        state.withLock {
            if $0.path != path { $0.written = nil }
            $0.path = path
        }
    }

    /// Records the sync, and writes the file if the sync changed what it shows.
    func record(_ report: SyncReport, from source: SyncEngine.Source) async {
        let due = state.withLock { state -> Bool in
            state.metrics.record(SyncObservation(report, source: source, finishedAt: WallClock.unixSeconds()))
            guard let written = state.written else { return true }
            return report.changes > 0 || !report.failures.isEmpty || state.metrics.gaugesDiffer(from: written.metrics)
        }
        if due { await write() }
    }

    /// Every `refresh` until cancelled: the file rewritten if nothing else did in that time.
    /// Ticks on the loop's event loop: `Task.sleep`'s timer would wake libdispatch worker
    /// threads at every tick, metrics or not.
    func refreshPeriodically(on timers: any EventLoop) async {
        while !Task.isCancelled {
            let tick = timers.scheduleTask(in: TimeAmount(refresh / 4)) {}
            let fired = await withTaskCancellationHandler {
                (try? await tick.futureResult.get()) != nil
            } onCancel: {
                tick.cancel()
            }
            guard fired else { return }
            let stale = state.withLock { [refresh] state in state.written.map { ContinuousClock.now - $0.at >= refresh } ?? false }
            if stale { await write() }
        }
    }

    func write() async {
        // The metrics are taken on the blocking thread, which runs one write at a time: when the
        // loop and the refresh both write, the one that runs last writes the latest metrics.
        let done: (path: String, metrics: AgentMetrics, result: Result<Void, FileError>)? =
            await withTaskExecutorPreference(io, isolation: nil) { [self] in
                guard let (path, metrics) = self.state.withLock({ s in s.path.map { ($0, s.metrics) } }) else { return nil }
                do throws(FileError) {
                    try TextFile.writeAtomically(path, metrics.render(), mode: 0o644, ignoringUmask: true)
                    return (path, metrics, .success(()))
                } catch {
                    return (path, metrics, .failure(error))
                }
            }
        guard let (path, metrics, result) = done else { return }
        let now = ContinuousClock.now
        let wasFailing = state.withLock { s -> Bool in
            let wasFailing = s.failing
            // A failed write counts as tried too: the next attempt waits for a change or the
            // minute's refresh, and says nothing more until one works.
            s.written = (metrics, now)
            if case .failure = result { s.failing = true } else { s.failing = false }
            return wasFailing
        }
        switch result {
        case .failure(let error) where !wasFailing:
            logger.warning("cannot write the metrics file: \(error); retrying within a minute (the packaged unit's sandbox needs the drop-in in README.md, \"Monitoring\", to write there)")
        case .success where wasFailing:
            logger.notice("metrics file \(path) written again")
        default: break
        }
    }
}

extension SyncObservation {
    init(_ report: SyncReport, source: SyncEngine.Source, finishedAt: Double) {
        let outcome: Outcome
        let state: MetadataState?
        switch report.metadata {
        case .complete: (outcome, state) = (.ok, .complete)
        case .cached: (outcome, state) = (.ok, nil)
        case .incomplete: (outcome, state) = (.incomplete, .incomplete)
        case .unavailable: (outcome, state) = (.unavailable, .unavailable)
        }
        let operations = report.results.map { result in
            Operation(action: ChangeLog.action(result.op), object: Self.object(result.op), outcome: Self.outcome(result.outcome))
        }
        let addresses = report.addressStates.map { eni in
            ENIAddresses(eni: eni.eni.id ?? "", mac: eni.eni.mac.description, interface: eni.eni.ifname ?? "",
                         counts: Dictionary(uniqueKeysWithValues: eni.counts.compactMap { state, count in
                             ENIAddresses.State(rawValue: state.rawValue).map { ($0, count) }
                         }))
        }
        self.init(source: source == .cache ? .kernelEvent : .metadata,
                  outcome: report.kernelError != nil || !report.failures.isEmpty ? .failed : outcome,
                  metadataState: state, durationSeconds: report.durationMilliseconds / 1000, finishedAt: finishedAt,
                  operations: operations, metadataRequests: report.metadataRequestOutcomes, addresses: addresses)
    }

    static func object(_ op: Op) -> String {
        switch op {
        case .setLinkUp: "link"
        case .addAddress, .removeAddress: "address"
        case .addRoute, .removeRoute: "route"
        case .addRule, .removeRule: "rule"
        }
    }

    static func outcome(_ outcome: OpOutcome) -> String {
        switch outcome {
        case .applied: "applied"
        case .alreadyInPlace: "already_in_place"
        case .failed: "failed"
        case .unknown: "unknown"
        }
    }
}
