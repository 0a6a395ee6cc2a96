#if canImport(Glibc)
import Glibc
#endif
public import Logging
public import Metadata
public import Model
public import Netlink
import Reconcile

/// One sync cycle, shared by `--sync` and the daemon: read metadata (or take the cached read),
/// read the kernel, plan, apply, record ownership, persist, report.
public actor SyncEngine {
    public private(set) var config: AgentConfig
    let netlink: NetlinkClient
    private var metadata: MetadataClient
    let store: StateStore
    private var logger: Logger
    private var ownership = Ownership()
    private var cachedNetwork: InstanceNetwork?
    private var syncCount = 0
    private var lastNotes: Set<String> = []
    private var lastDiagnostics: Set<String> = []
    /// The last plan that changed nothing, with what it was computed from. The planner is a pure
    /// function: the same metadata, kernel, ownership and configuration give the same plan, so a
    /// quiet poll that finds all four unchanged reuses it (comparing them costs a tenth of
    /// planning at 32 ENIs).
    private var quietPlan: (network: InstanceNetwork?, actual: KernelState, owned: Ownership, config: PlanConfig, plan: Plan)?
    /// What the state file holds now, so that a quiet daemon does not rewrite it every poll.
    private var persisted: (ownership: Ownership, network: InstanceNetwork?, metadata: MetadataOutcome, exitCode: Int32,
                            at: ContinuousClock.Instant)?
    /// A quiet daemon still rewrites the state file this often, so `status` shows a recent sync.
    static let persistRefresh: Duration = .seconds(60)
    public private(set) var lastReport: SyncReport?

    public enum Source: Sendable {
        /// Read the metadata service.
        case metadata
        /// Re-plan from the last read (after a kernel event): restores, never removes.
        case cache
    }

    public init(config: AgentConfig, netlink: NetlinkClient, metadata: MetadataClient, logger: Logger) {
        self.config = config
        self.netlink = netlink
        self.metadata = metadata
        self.logger = logger
        store = StateStore(directory: config.stateDirectory)
    }

    /// Loads the ownership record left by an earlier run. A damaged state file is reported once,
    /// here, with what was dropped; what validated is used, and the first sync replaces the file
    /// (docs/design.md §4.8). One that cannot be read at all is reported and ignored: kernel marks
    /// (protocol 233) still identify what the agent owns.
    public func restoreState() {
        do {
            guard let file = try store.read() else { return }
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
        } catch {
            logger.warning("state file \(store.path) unreadable, starting with an empty ownership record: \(error)")
        }
    }

    /// A reload: the next cycle plans with the new configuration.
    public func update(config newConfig: AgentConfig, logLevel: Logger.Level) {
        config = newConfig
        logger.logLevel = logLevel
    }

    /// Swaps in a metadata client built for a new endpoint or token mode; closes the old one.
    public func replaceMetadata(_ client: MetadataClient) async {
        let old = metadata
        metadata = client
        await old.shutdown()
    }

    public func shutdown() async {
        await metadata.shutdown()
    }

    public var hasCachedMetadata: Bool { cachedNetwork != nil }

    public func sync(from source: Source = .metadata, dryRun: Bool = false) async -> SyncReport {
        syncCount += 1
        let id = syncCount
        let clock = ContinuousClock()
        let started = clock.now
        var log = logger
        log[metadataKey: "sync_id"] = "\(id)"

        // Metadata.
        var network: InstanceNetwork?
        var outcome: MetadataOutcome
        var requests = 0
        switch source {
        case .cache:
            network = cachedNetwork?.markedIncomplete(reason: "re-planned from the cached metadata read")
            outcome = .cached
        case .metadata:
            do {
                let read = try await metadata.read()
                requests = read.requests
                logDiagnostics(read.diagnostics, log: log)
                network = read.network
                cachedNetwork = read.network
                let reasons = read.network.enis.compactMap { eni -> String? in
                    if case .incomplete(let reason) = eni.completeness { return "\(eni.id ?? eni.mac.description): \(reason)" }
                    return nil
                }
                outcome = reasons.isEmpty ? .complete : .incomplete(reasons: reasons)
            } catch {
                if Task.isCancelled {
                    // The daemon is stopping: a read cut short is no reason to touch the kernel.
                    return SyncReport(id: id, startedAt: WallClock.now(), durationMilliseconds: started.duration(to: clock.now).milliseconds,
                                      metadata: .unavailable(reason: "cancelled"), metadataRequests: 0, dryRun: dryRun, plan: [],
                                      results: [], notes: [], managed: [], kernelError: nil)
                }
                network = cachedNetwork?.markedIncomplete(reason: "metadata unavailable")
                outcome = .unavailable(reason: "\(error)")
            }
        }

        var phases = SyncReport.Phases()
        var mark = started
        func lap() -> Double {
            let now = clock.now
            defer { mark = now }
            return mark.duration(to: now).milliseconds
        }
        phases.metadata = lap()

        // Kernel.
        let actual: KernelState
        do {
            actual = try await netlink.snapshot()
        } catch {
            log.error("cannot read the kernel's network state: \(error); nothing changed")
            return finish(SyncReport(id: id, startedAt: WallClock.now(), durationMilliseconds: started.duration(to: clock.now).milliseconds,
                                     metadata: outcome, metadataRequests: requests, dryRun: dryRun, plan: [], results: [],
                                     notes: [], managed: [], kernelError: "\(error)"), network: network, log: log)
        }

        phases.kernelRead = lap()
        let plan: Plan
        if let quiet = quietPlan, quiet.owned == ownership, quiet.config == config.plan, quiet.network == network,
           quiet.actual == actual {
            plan = quiet.plan
        } else {
            plan = Reconcile.plan(desired: network, actual: actual, owned: ownership, config: config.plan)
            // Only a fixed point is reused: no ops, and the ownership record (grace counters
            // included) comes out as it went in.
            quietPlan = plan.ops.isEmpty && plan.ownership == ownership ? (network, actual, ownership, config.plan, plan) : nil
        }
        phases.plan = lap()
        if case .complete = outcome, !plan.removalsAllowed {
            // The planner found a problem the metadata client did not (a rejected value).
            outcome = .incomplete(reasons: plan.notes.filter { $0.level == .warning }.map(\.message))
        }
        logNotes(plan.notes, log: log)

        var results: [OpResult] = []
        if !dryRun && !plan.ops.isEmpty {
            results = await netlink.apply(plan.ops.map(\.op))
            phases.apply = lap()
            let macs = Dictionary(actual.links.compactMap { link in link.mac.map { (link.index, $0) } },
                                  uniquingKeysWith: { first, _ in first })
            ownership = plan.ownership.recording(results, macs: macs)
            for (planned, result) in zip(plan.ops, results) { ChangeLog.log(planned, result.outcome, to: log) }
        } else if !dryRun {
            ownership = plan.ownership
        }

        if results.isEmpty { phases.apply = lap() } else { phases.log = lap() }
        var report = SyncReport(id: id, startedAt: WallClock.now(), durationMilliseconds: started.duration(to: clock.now).milliseconds,
                                metadata: outcome, metadataRequests: requests, dryRun: dryRun, plan: plan.ops,
                                results: results, notes: plan.notes, managed: plan.managed, kernelError: nil)
        report.unlistedNICs = Self.unlistedNICs(actual, network, config.plan)
        report.phases = phases
        report = finish(report, network: network, log: log)
        report.phases.persist = lap()
        return report
    }

    private func finish(_ report: SyncReport, network: InstanceNetwork?, log: Logger) -> SyncReport {
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
        let state = PersistedState(updatedAt: WallClock.now(), pid: getpid(), ownership: ownership,
                                   network: recorded, lastSync: SyncSummary(report))
        do {
            try store.save(state)
            persisted = (ownership, recorded, report.metadata, report.exitCode, now)
        } catch {
            log.warning("cannot write the state file \(store.path): \(error); ownership of addresses rests on kernel marks until it can")
        }
        return report
    }

    /// Like plan notes, a metadata problem is logged when it appears, not on every poll while
    /// it lasts (a malformed key would otherwise log 8,640 warnings a day). A key that answered
    /// after retries is not a problem with the data: info, not warning.
    private func logDiagnostics(_ diagnostics: [MetadataDiagnostic], log: Logger) {
        func identity(_ d: MetadataDiagnostic) -> String { "\(d.mac?.description ?? "-")/\(d.key)=\(d.value)" }
        for diagnostic in diagnostics where !lastDiagnostics.contains(identity(diagnostic)) {
            var fields: Logger.Metadata = ["key": "\(diagnostic.key)"]
            if let mac = diagnostic.mac { fields["eni_mac"] = "\(mac)" }
            let subject = diagnostic.value.isEmpty ? "metadata \(diagnostic.key)" : "metadata \(diagnostic.key) = \(diagnostic.value)"
            if diagnostic.value.isEmpty && diagnostic.problem.hasPrefix("answered after") {
                log.info("\(subject): \(diagnostic.problem)", metadata: fields)
            } else {
                log.warning("\(subject): \(diagnostic.problem)", metadata: fields)
            }
        }
        lastDiagnostics = Set(diagnostics.map(identity))
    }

    /// `net.ipv4.conf.<link>.promote_secondaries`, read in this process's network namespace.
    static func promotesSecondaries(_ ifname: String) -> Bool {
        guard !ifname.contains("/"), !ifname.isEmpty,
              let value = try? TextFile.read("/proc/sys/net/ipv4/conf/\(ifname)/promote_secondaries") else { return false }
        return value.hasPrefix("1")
    }

    /// Notes are logged when they first appear, not every cycle: a daemon that polls every 10 s
    /// must not repeat the same warning 8,640 times a day.
    private func logNotes(_ notes: [PlanNote], log: Logger) {
        let current = Set(notes.map(\.message))
        for note in notes where !lastNotes.contains(note.message) {
            var fields: Logger.Metadata = [:]
            if let eni = note.eni {
                if let id = eni.id { fields["eni_id"] = "\(id)" }
                fields["eni_mac"] = "\(eni.mac)"
                if let name = eni.ifname { fields["ifname"] = "\(name)" }
            }
            switch note.level {
            case .warning: log.warning("\(note.message)", metadata: fields)
            case .info: log.info("\(note.message)", metadata: fields)
            }
        }
        lastNotes = current
    }

    /// Removes everything the agent owns (ENI_AGENT_CLEANUP_ON_STOP): the plan for "no ENI
    /// wants anything", with removals allowed at once.
    public func cleanUp() async -> [OpResult] {
        guard let actual = try? await netlink.snapshot(), let primary = cachedNetwork?.primaryMAC else { return [] }
        var config = self.config.plan
        config.removalGrace = 1
        let empty = InstanceNetwork(primaryMAC: primary, enis: [ENI(mac: primary)])
        let plan = Reconcile.plan(desired: empty, actual: actual, owned: ownership, config: config)
        var log = logger
        log[metadataKey: "sync_id"] = "cleanup"
        // The planner orders the removals and holds back one that would take another address
        // with it (promote_secondaries off): its warning is among the notes.
        let removals = plan.ops.filter(\.op.isRemoval)
        for note in plan.notes where note.level == .warning { log.warning("\(note.message)") }
        let results = await netlink.apply(removals.map(\.op))
        for (planned, result) in zip(removals, results) { ChangeLog.log(planned, result.outcome, to: log) }
        return results
    }
}

extension SyncEngine {
    /// NICs (links with a globally unique MAC: not veth, bridge or other software links, whose
    /// MACs are locally administered) that metadata does not list: probably an ENI hot-plugged a
    /// moment ago, which metadata will list within seconds.
    static func unlistedNICs(_ kernel: KernelState, _ network: InstanceNetwork?, _ config: PlanConfig) -> [String] {
        guard let network else { return [] }
        return kernel.links.filter { link in
            guard let mac = link.mac, mac.bytes[0] & 0x03 == 0, mac.bytes != [0, 0, 0, 0, 0, 0] else { return false }
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
