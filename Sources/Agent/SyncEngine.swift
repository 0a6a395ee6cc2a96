// SPDX-License-Identifier: Apache-2.0
#if canImport(Glibc)
import Glibc
#endif
public import Logging
public import Metadata
import Model
import Reconcile

/// One sync cycle, shared by `--sync` and the daemon: read metadata (or take the cached read),
/// read the kernel, plan, apply, record ownership, persist, report.
public actor SyncEngine {
    public private(set) var config: AgentConfig
    let kernel: any KernelNetwork
    private var metadata: any MetadataSource
    private let makeMetadata: @Sendable (MetadataConfiguration) -> any MetadataSource
    let store: StateStore
    /// Where the state file is written (its fsync blocks); nil: wherever the caller runs.
    private let io: (any TaskExecutor)?
    var logger: Logger
    var ownership = Ownership()
    var cachedNetwork: InstanceNetwork?
    private var syncCount = 0
    var logged = OnceLog()
    /// The last plan that changed nothing, with what it was computed from. The planner is a pure
    /// function: the same metadata, kernel, ownership and configuration give the same plan, so a
    /// quiet poll that finds all four unchanged reuses it (comparing them costs a tenth of
    /// planning at 32 ENIs).
    private var quietPlan: (network: InstanceNetwork?, actual: KernelState, owned: Ownership, config: PlanConfig, plan: Plan)?
    /// The state file as this engine last read or wrote it: another identity under the lock means
    /// another process (a `--sync` beside the daemon) wrote it since.
    private var seenFile: StateStore.Identity?
    /// Whether the lock's failure has been logged (once until it works again).
    private var lockWarned = false
    /// What the state file holds now, so that a quiet daemon does not rewrite it every poll.
    private var persisted: (ownership: Ownership, network: InstanceNetwork?, metadata: MetadataOutcome, exitCode: Int32,
                            at: ContinuousClock.Instant)?
    /// A quiet daemon still rewrites the state file this often, so `status` shows a recent sync.
    static let persistRefresh: Duration = .seconds(60)
    public private(set) var lastReport: SyncReport?
    /// The last sync the state file names: an intent written in the middle of a cycle keeps it.
    private var lastSync: SyncSummary?

    public enum Source: Sendable {
        /// Read the metadata service.
        case metadata
        /// Re-plan from the last read (after a kernel event): restores, never removes.
        case cache
    }

    /// `makeMetadata` builds the metadata source for a configuration, now and after a reload.
    public init(config: AgentConfig, kernel: any KernelNetwork,
                metadata makeMetadata: @escaping @Sendable (MetadataConfiguration) -> any MetadataSource,
                io: (any TaskExecutor)? = nil, logger: Logger) {
        self.config = config
        self.kernel = kernel
        self.makeMetadata = makeMetadata
        metadata = makeMetadata(config.metadata)
        self.io = io
        self.logger = logger
        store = StateStore(directory: config.stateDirectory)
    }

    /// Loads the ownership record left by an earlier run. A damaged state file is reported once,
    /// here, with what was dropped; what validated is used, and the first sync replaces the file
    /// (docs/design.md §4.8). One that cannot be read at all is reported and ignored: kernel marks
    /// (protocol 233) still identify what the agent owns.
    public func restoreState() async {
        let store = store
        do {
            // The identity first: a write between the two makes the first sync read it again.
            let (identity, contents) = try await withTaskExecutorPreference(io, isolation: nil) { () throws(FileError) in
                (store.identity(), try store.read())
            }
            seenFile = identity
            guard let file = contents else { return }
            if !file.problems.isEmpty {
                let shown = file.problems.prefix(5).joined(separator: "; ") + (file.problems.count > 5 ? "; and \(file.problems.count - 5) more" : "")
                logger.warning("state file \(store.path) is damaged; using what validated (\(file.state.ownership.addresses.count) owned addresses), the next sync replaces it: \(shown)")
            }
            let state = file.state
            ownership = state.ownership
            cachedNetwork = state.network
            // Sync ids (SYNC_ID in the journal, syncId in --json, "last sync #n" in status)
            // continue across runs: every oneshot `--sync` would otherwise be #1.
            syncCount = max(syncCount, state.lastSync?.id ?? 0)
            lastSync = state.lastSync
        } catch {
            logger.warning("state file \(store.path) unreadable, starting with an empty ownership record: \(error)")
        }
    }

    /// A reload: the next cycle plans with the new configuration and reads through a new
    /// metadata source (the endpoint or token mode may have changed; its caches start afresh).
    public func update(config newConfig: AgentConfig) async {
        config = newConfig
        logger.logLevel = newConfig.logLevel
        let old = metadata
        metadata = makeMetadata(newConfig.metadata)
        await old.shutdown()
    }

    public func shutdown() async {
        await metadata.shutdown()
    }

    public var hasCachedMetadata: Bool { cachedNetwork != nil }

    public func sync(from source: Source = .metadata, dryRun: Bool = false) async -> SyncReport {
        syncCount += 1
        var cycle = Cycle(id: syncCount, dryRun: dryRun, logger: logger)
        guard let read = await readMetadata(source, &cycle) else { return cycle.report(.unavailable(reason: "cancelled")) }
        // From the ownership record's reading to its writing, one writer at a time.
        var lock: StateStore.Lock?
        if !dryRun {
            guard case .acquired(let held) = await lockState(&cycle) else { return cycle.report(.unavailable(reason: "cancelled")) }
            lock = held
            await adoptConcurrentWrite(&cycle)
        }
        defer { lock?.release() }
        let actual: KernelState
        do {
            actual = try await kernel.snapshot()
        } catch {
            cycle.log.error("cannot read the kernel's network state: \(error); nothing changed")
            return await finish(cycle.report(read.outcome, kernelError: "\(error)"), network: read.network, log: cycle.log)
        }
        cycle.phases.kernelRead = cycle.lap()
        let plan = plan(read.network, actual)
        cycle.phases.plan = cycle.lap()
        logged.notes(plan.notes, log: cycle.log)
        let results = dryRun ? [] : await apply(plan, on: actual, network: read.network, &cycle)
        if results.isEmpty { cycle.phases.apply = cycle.lap() }

        var report = cycle.report(read.outcome.confirmed(by: plan), plan: plan, results: results)
        report.unlistedNICs = Self.unlistedNICs(actual, read.network, config.plan)
        // Only the metrics file shows them: no classification of every address each cycle
        // where none is configured.
        if config.metricsFile != nil {
            report.addressStates = AddressStates.afterSync(managed: plan.managed, actual: actual, ownership: ownership, results: results)
        }
        report = await finish(report, network: read.network, log: cycle.log)
        report.phases.persist = cycle.lap()
        return report
    }

    /// What one cycle's metadata side gave: the network to plan with and how the read went.
    struct Read {
        var network: InstanceNetwork?
        var outcome: MetadataOutcome
    }

    /// The metadata read, or the cached read re-planned; nil when the read was cancelled (the
    /// daemon is stopping: a read cut short is no reason to touch the kernel).
    private func readMetadata(_ source: Source, _ cycle: inout Cycle) async -> Read? {
        defer { cycle.phases.metadata = cycle.lap() }
        if source == .cache {
            return Read(network: cachedNetwork?.markedIncomplete(reason: "re-planned from the cached metadata read"), outcome: .cached)
        }
        do {
            let read = try await metadata.read()
            cycle.requests = read.requests
            cycle.requestOutcomes = await metadata.takeRequestOutcomes()
            logged.diagnostics(read.diagnostics, log: cycle.log)
            cachedNetwork = read.network
            return Read(network: read.network, outcome: MetadataOutcome(read.network))
        } catch {
            if Task.isCancelled { return nil }
            cycle.requestOutcomes = await metadata.takeRequestOutcomes()
            return Read(network: cachedNetwork?.markedIncomplete(reason: "metadata unavailable"), outcome: .unavailable(reason: "\(error)"))
        }
    }

    enum Locking {
        /// The lock, or nil where it cannot be had at all (said once; the sync goes on).
        case acquired(StateStore.Lock?)
        case cancelled
    }

    /// Waits for the state file's lock while another process holds it, checking every 10 ms
    /// (a `--sync` holds it for its kernel read, apply and write: milliseconds to a second), and
    /// gives up only on cancellation.
    private func lockState(_ cycle: inout Cycle) async -> Locking {
        let store = store
        var said = false
        while true {
            do {
                if let lock = try await withTaskExecutorPreference(io, isolation: nil, operation: { try store.tryLock() }) {
                    lockWarned = false
                    return .acquired(lock)
                }
            } catch {
                if !lockWarned {
                    lockWarned = true
                    cycle.log.warning("cannot lock \(store.lockPath): \(error); writing the state file without it, so a concurrent eni-agent --sync may overwrite this one's record")
                }
                return .acquired(nil)
            }
            if !said {
                cycle.log.info("waiting for \(store.lockPath): another eni-agent (a --sync?) is writing the state file")
                said = true
            }
            do {
                try await Task.sleep(for: .milliseconds(10))
            } catch {
                return .cancelled
            }
        }
    }

    /// Takes in what another process wrote to the state file since this engine last read or
    /// wrote it (`Ownership.adopting`), so that a `--sync` run beside the daemon keeps the
    /// ownership it recorded.
    private func adoptConcurrentWrite(_ cycle: inout Cycle) async {
        let store = store
        let seen = seenFile
        let contents = await withTaskExecutorPreference(io, isolation: nil) { () -> (StateStore.Identity?, StateFileContents?)? in
            let identity = store.identity()
            guard identity != seen else { return nil }
            return (identity, try? store.read())
        }
        guard let (identity, file) = contents else { return }
        seenFile = identity
        guard let state = file?.state else { return }
        ownership = ownership.adopting(state.ownership)
        persisted = nil
        cycle.log.info("state file \(store.path) written by another eni-agent (pid \(state.pid)) since the last sync: its ownership record taken in")
    }

    /// The planner's answer, or the last quiet plan when nothing it depends on changed.
    private func plan(_ network: InstanceNetwork?, _ actual: KernelState) -> Plan {
        if let quiet = quietPlan, quiet.owned == ownership, quiet.config == config.plan, quiet.network == network,
           quiet.actual == actual {
            return quiet.plan
        }
        let plan = Reconcile.plan(desired: network, actual: actual, owned: ownership, config: config.plan)
        // Only a fixed point is reused: no ops, and the ownership record (grace counters
        // included) comes out as it went in.
        quietPlan = plan.ops.isEmpty && plan.ownership == ownership ? (network, actual, ownership, config.plan, plan) : nil
        return plan
    }

    /// Applies the plan's ops, records what the agent now owns, and logs each change.
    private func apply(_ plan: Plan, on actual: KernelState, network: InstanceNetwork?, _ cycle: inout Cycle) async -> [OpResult] {
        guard !plan.ops.isEmpty else {
            ownership = plan.ownership
            return []
        }
        let macs = Dictionary(actual.links.compactMap { link in link.mac.map { (link.index, $0) } },
                              uniquingKeysWith: { first, _ in first })
        await recordIntent(plan, on: actual, macs: macs, network: network, log: cycle.log)
        var results = await kernel.apply(plan.ops.map(\.op))
        let lost = results.filter(\.outcome.isUnknown).count
        if lost > 0 {
            do {
                results = try await kernel.settle(results)
                let applied = results.filter { $0.outcome == .applied }.count
                cycle.log.warning("the kernel's answers to \(lost) changes were lost (receive buffer overflow); read again, the kernel shows \(applied) applied and \(results.filter { !$0.outcome.succeeded }.count) failed")
            } catch {
                cycle.log.warning("the kernel's answers to \(lost) changes were lost (receive buffer overflow) and reading it again failed (\(error)): they count as failed, the addresses they would add stay recorded as intended, and the next sync sees what they did")
            }
        }
        cycle.phases.apply = cycle.lap()
        ownership = plan.ownership.recording(results, macs: macs)
        for (planned, result) in zip(plan.ops, results) { ChangeLog.log(planned, result.outcome, to: cycle.log) }
        cycle.phases.log = cycle.lap()
        return results
    }

    /// Records the report and writes the state file when what it holds changed (or once a
    /// minute), on the blocking thread.
    private func finish(_ report: SyncReport, network: InstanceNetwork?, log: Logger) async -> SyncReport {
        lastReport = report
        log.debug("sync #\(report.id): \(report.summary) in \(Int(report.durationMilliseconds)) ms, \(report.metadataRequests) metadata requests")
        guard !report.dryRun else { return report }
        // Encoding the record is most of a quiet cycle's cost at 32 ENIs (1,900 owned
        // addresses): skip it when nothing in it but the sync counter would change.
        let now = ContinuousClock.now
        let recorded = cachedNetwork ?? network
        if let persisted, persisted.ownership == ownership, persisted.network == recorded, persisted.metadata == report.metadata,
           persisted.exitCode == report.exitCode, report.changes == 0, report.failures.isEmpty,
           now - persisted.at < Self.persistRefresh {
            return report
        }
        let summary = SyncSummary(report)
        do {
            try await save(ownership, network: recorded, lastSync: summary)
            persisted = (ownership, recorded, report.metadata, report.exitCode, now)
        } catch {
            log.warning("cannot write the state file \(store.path): \(error); ownership of addresses rests on kernel marks until it can")
        }
        return report
    }

    /// Intent first (docs/design.md §4.8): where the kernel keeps no address marks (before Linux
    /// 6.1), the state file records the addresses the plan adds before the kernel sees a single
    /// op, so that a process killed in the middle of an apply leaves no address that is nobody's.
    /// `finish` settles the record after the apply (what failed is dropped). On a kernel that
    /// marks addresses the mark goes in with the address itself, and nothing is written here.
    private func recordIntent(_ plan: Plan, on actual: KernelState, macs: [Int32: MACAddress], network: InstanceNetwork?,
                              log: Logger) async {
        guard !AddressOwnership(kernel: actual, ownership: plan.ownership).kernelMarksAddresses else { return }
        let intended = plan.ownership.intending(plan.ops.map(\.op), macs: macs)
        guard intended.addresses != plan.ownership.addresses else { return }
        do {
            try await save(intended, network: cachedNetwork ?? network, lastSync: lastSync)
            persisted = nil
        } catch {
            log.warning("cannot record the addresses this sync adds in the state file \(store.path) before adding them: \(error); they are recorded once added, and would be left alone as foreign if eni-agent were killed in between")
        }
    }

    /// Writes the state file (temporary file, fsync, rename) on the blocking thread, and notes
    /// the file this engine wrote, so that only another process's write is adopted.
    private func save(_ owned: Ownership, network: InstanceNetwork?, lastSync summary: SyncSummary?) async throws {
        let state = PersistedState(updatedAt: WallClock.now(), pid: getpid(), ownership: owned, network: network, lastSync: summary)
        let store = store
        seenFile = try await withTaskExecutorPreference(io, isolation: nil) {
            try store.save(state)
            return store.identity()
        }
        lastSync = summary
    }
}

/// One cycle's identity, logger and stopwatch.
struct Cycle {
    let id: Int
    let dryRun: Bool
    var log: Logger
    let clock = ContinuousClock()
    let started: ContinuousClock.Instant
    private var mark: ContinuousClock.Instant
    var phases = SyncReport.Phases()
    var requests = 0
    var requestOutcomes: [String: Int] = [:]

    init(id: Int, dryRun: Bool, logger: Logger) {
        self.id = id
        self.dryRun = dryRun
        log = logger
        log[metadataKey: "sync_id"] = "\(id)"
        started = clock.now
        mark = started
    }

    /// Milliseconds since the last lap.
    mutating func lap() -> Double {
        let now = clock.now
        defer { mark = now }
        return mark.duration(to: now).milliseconds
    }

    func report(_ metadata: MetadataOutcome, plan: Plan? = nil, results: [OpResult] = [], kernelError: String? = nil) -> SyncReport {
        var report = SyncReport(id: id, startedAt: WallClock.now(), durationMilliseconds: started.duration(to: clock.now).milliseconds,
                                metadata: metadata, metadataRequests: requests, dryRun: dryRun, plan: plan?.ops ?? [],
                                results: results, notes: plan?.notes ?? [], managed: plan?.managed ?? [], kernelError: kernelError)
        report.phases = phases
        report.metadataRequestOutcomes = requestOutcomes
        return report
    }
}

extension MetadataOutcome {
    /// How a read that returned went: complete only if every ENI was.
    init(_ network: InstanceNetwork) {
        let reasons = network.enis.compactMap { eni -> String? in
            if case .incomplete(let reason) = eni.completeness { return "\(eni.id ?? eni.mac.description): \(reason)" }
            return nil
        }
        self = reasons.isEmpty ? .complete : .incomplete(reasons: reasons)
    }

    /// A complete read the planner found a problem in (a rejected value) is incomplete.
    func confirmed(by plan: Plan) -> MetadataOutcome {
        guard case .complete = self, !plan.removalsAllowed else { return self }
        return .incomplete(reasons: plan.notes.filter { $0.level == .warning }.map(\.message))
    }
}

extension SyncEngine {
    /// Links that could be an ENI (`ENILinks.couldBeENI`: a NIC's MAC of its own, no master; not
    /// veth, bridge or other software links, whose MACs are locally administered) that metadata
    /// does not list: probably an ENI hot-plugged a moment ago, which metadata will list within
    /// seconds.
    static func unlistedNICs(_ kernel: KernelState, _ network: InstanceNetwork?, _ config: PlanConfig) -> [String] {
        guard let network else { return [] }
        return kernel.links.filter { link in
            guard ENILinks.couldBeENI(link), let mac = link.mac else { return false }
            return network.eni(mac: mac) == nil && !config.ignored.matches(name: link.name, mac: mac)
        }.map(\.name)
    }
}

extension Duration {
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
