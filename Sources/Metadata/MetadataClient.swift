// SPDX-License-Identifier: Apache-2.0
// The IMDS client: one `read()` turns the service into an `InstanceNetwork`. It reads `macs/`,
// then each ENI's keys concurrently, caching the keys that only change when an ENI is
// re-created, so a steady poll costs `macs/` plus four lists per ENI, two address lists and
// two prefix lists (docs/design.md §5).

import Model
public import NIOCore
import NIOPosix

public actor MetadataClient {
    public nonisolated let configuration: MetadataConfiguration
    let group: any EventLoopGroup
    let clock = ContinuousClock()

    // Token state (MetadataClient+Token.swift).
    struct Token {
        var value: String
        var usableUntil: ContinuousClock.Instant
    }
    var token: Token?
    /// `auto` after the PUT was refused: token-free GETs until then.
    var tokenFreeUntil: ContinuousClock.Instant?
    /// The PUT in flight, shared by every request that needs a token meanwhile.
    var tokenRequest: Task<TokenOutcome, Never>?
    var tokenDiagnostics: [MetadataDiagnostic] = []

    // Stable keys.
    struct InstanceKeys {
        var primaryMAC: MACAddress
        var instanceID: String?
        var regionID: String?
        var zoneID: String?
        var fetchedAt: ContinuousClock.Instant
        /// An optional key failed (not 404): read them again next time.
        var retryOptional: Bool
    }
    private var instanceCache: InstanceKeys?
    /// Per MAC, the stable keys of its last complete read.
    private var eniCache: [MACAddress: (results: [ENIKey: KeyResult], fetchedAt: ContinuousClock.Instant)] = [:]
    private var lastMACs: Set<MACAddress>?
    /// An ENI's answers and what they assembled to.
    private typealias Assembly = (results: [ENIKey: KeyResult], isPrimary: Bool, eni: ENI, notes: [MetadataDiagnostic])
    /// Per MAC, the last read's: a quiet poll gets the same bodies back, and comparing them
    /// costs less than parsing 60 addresses again.
    private var lastAssembly: [MACAddress: Assembly] = [:]

    private var activeReads: [ObjectIdentifier: ConnectionPool] = [:]
    /// The last successful read's connections, for the next read (see `ConnectionPool`).
    private var keptPool: ConnectionPool?
    /// Requests by outcome since the last `takeRequestOutcomes()`, failed reads' included.
    private var requestOutcomes: [String: Int] = [:]
    private var isShutDown = false

    public init(configuration: MetadataConfiguration, group: any EventLoopGroup) {
        self.configuration = configuration
        self.group = group
    }

    /// On NIO's process-wide singleton group: the client needs no threads of its own.
    public init(configuration: MetadataConfiguration) {
        self.init(configuration: configuration, group: MultiThreadedEventLoopGroup.singleton)
    }

    /// The whole network. Throws when `macs/` or the instance `mac` could not be read (or the
    /// listing cannot be trusted): the caller then removes nothing. Problems with one ENI's keys
    /// do not throw; that ENI comes back `.incomplete(reason:)`.
    public func read() async throws(MetadataError) -> MetadataRead {
        guard !isShutDown else { throw .shutDown }
        let started = clock.now
        let pool = keptPool ?? ConnectionPool(configuration: configuration, group: group)
        keptPool = nil
        await pool.beginRead()
        let id = ObjectIdentifier(pool)
        activeReads[id] = pool
        let context = ReadContext(pool: pool, deadline: started + configuration.readBudget)
        let outcome: Result<(InstanceNetwork, [MetadataDiagnostic]), MetadataError>
        do {
            outcome = .success(try await readNetwork(context))
        } catch {
            outcome = .failure(Task.isCancelled ? .cancelled : isShutDown ? .shutDown : error)
        }
        activeReads[id] = nil
        for (outcome, count) in await pool.outcomes { requestOutcomes[outcome, default: 0] += count }
        // A failed read starts the next one on new connections. No await between the checks
        // and the swap: shutdown() cannot slip in and miss the pool.
        if case .success = outcome, !isShutDown {
            let previous = keptPool
            keptPool = pool
            await previous?.closeAll()
        } else {
            await pool.closeAll()
        }
        let (network, diagnostics) = try outcome.get()
        return MetadataRead(
            network: network, requests: await pool.requests, connections: await pool.connectionsOpened,
            duration: clock.now - started,
            diagnostics: diagnostics)
    }

    /// The requests sent since the last call, by outcome (`ok`, `not_found`, `timeout`, …),
    /// for the metrics; the count starts over.
    public func takeRequestOutcomes() -> [String: Int] {
        defer { requestOutcomes = [:] }
        return requestOutcomes
    }

    /// Forget the cached stable keys and a token fallback (SIGHUP, or a new link seen). The
    /// token itself stays: it is still valid.
    public func invalidateCache() {
        instanceCache = nil
        eniCache = [:]
        lastMACs = nil
        lastAssembly = [:]
        tokenFreeUntil = nil
    }

    /// Fails reads in flight (their connections are closed) and every later one.
    public func shutdown() async {
        isShutDown = true
        tokenRequest?.cancel()
        for pool in activeReads.values { await pool.closeAll() }
        await keptPool?.closeAll()
        keptPool = nil
    }

    private func readNetwork(_ read: ReadContext) async throws(MetadataError) -> (InstanceNetwork, [MetadataDiagnostic]) {
        // The token first and alone: one PUT however many requests follow, and in `required`
        // a refusal fails the read before anything else is asked.
        _ = try await currentToken(read)
        var diagnostics = tokenDiagnostics
        tokenDiagnostics = []

        let now = clock.now
        let refresh = configuration.stableKeyRefresh
        var instanceDue = instanceCache.map { $0.retryOptional || now - $0.fetchedAt >= refresh } ?? true

        var jobs: [Job] = [.macs]
        if instanceDue { jobs += InstanceKey.allCases.map(Job.instance) }
        var fetched = await fetchAll(jobs, spellings: [:], read)
        let entries = try macEntries(fetched[.macs])
        let macSet = Set(entries.map(\.mac))
        // Beyond the cap an ENI is listed but not read: it stays in the network as incomplete,
        // so that nothing it holds is taken for detached and removed (docs/metadata.md).
        let cap = max(1, configuration.maxENIs)
        let macs = entries.prefix(cap).map(\.mac)
        let unread = entries.dropFirst(cap).map(\.mac)
        if !unread.isEmpty {
            diagnostics.append(MetadataDiagnostic(
                mac: nil, key: "macs/", value: unread.map(\.description).joined(separator: ","),
                problem: "more than \(cap) ENIs listed: \(unread.count) not read, removals on them wait"))
        }
        let spellings = Dictionary(entries.map { ($0.mac, $0.spelling) }, uniquingKeysWith: { a, _ in a })

        if let lastMACs, lastMACs != macSet {
            eniCache = [:]
            instanceDue = true
        }
        eniCache = eniCache.filter { macSet.contains($0.key) && now - $0.value.fetchedAt < refresh }

        // The instance keys decide whether the read stands at all: when they came with macs/,
        // check them before asking for every ENI's keys.
        var instance = instanceDue ? nil : instanceCache
        if instance == nil, fetched[.instance(.mac)] != nil {
            instance = try instanceKeys(from: fetched, at: now, notes: &diagnostics)
        }
        if let instance { try checkListed(instance.primaryMAC, in: macSet) }

        var more: [Job] = instance == nil ? InstanceKey.allCases.map(Job.instance) : []
        for mac in macs {
            let cached = eniCache[mac] != nil
            more += ENIKey.allCases.filter { (!cached || !$0.isStable) && wanted($0) }.map { Job.eni(mac, $0) }
        }
        fetched.merge(await fetchAll(more, spellings: spellings, read)) { _, new in new }
        for job in jobs + more { diagnostics += fetched[job]?.diagnostics ?? [] }
        let ids: InstanceKeys
        if let instance {
            ids = instance
        } else {
            ids = try instanceKeys(from: fetched, at: now, notes: &diagnostics)
            try checkListed(ids.primaryMAC, in: macSet)
        }
        let primaryMAC = ids.primaryMAC
        guard !Task.isCancelled else { throw .cancelled }

        var enis: [ENI] = []
        var assembled: [MACAddress: Assembly] = [:]
        for mac in macs {
            var results = eniCache[mac]?.results ?? [:]
            for key in ENIKey.allCases {
                if let answer = fetched[.eni(mac, key)] { results[key] = answer.result }
                if !wanted(key) { results[key] = .missing }
            }
            let isPrimary = mac == primaryMAC
            let eni: ENI
            let notes: [MetadataDiagnostic]
            if let last = lastAssembly[mac], last.isPrimary == isPrimary, last.results == results {
                (eni, notes) = (last.eni, last.notes)
            } else {
                (eni, notes) = ENIAssembler.assemble(mac: mac, isPrimary: isPrimary, results: results)
            }
            assembled[mac] = (results, isPrimary, eni, notes)
            if !eni.completeness.isComplete {
                eniCache[mac] = nil
            } else if eniCache[mac] == nil {
                eniCache[mac] = (results.filter { $0.key.isStable }, now)
            }
            enis.append(eni)
            diagnostics += notes
        }
        for mac in unread {
            enis.append(ENI(mac: mac, completeness: .incomplete(reason: "not read: more than \(cap) ENIs listed")))
        }
        lastMACs = macSet
        lastAssembly = assembled
        let network = InstanceNetwork(
            primaryMAC: primaryMAC, instanceID: ids.instanceID, regionID: ids.regionID, zoneID: ids.zoneID,
            enis: enis)
        return (network, diagnostics)
    }

    /// Whether this configuration reads `key` at all (the prefix keys are optional).
    private func wanted(_ key: ENIKey) -> Bool {
        configuration.readsPrefixes || (key != .ipv4Prefixes && key != .ipv6Prefixes)
    }

    private func macEntries(_ answer: Fetched?) throws(MetadataError) -> [(mac: MACAddress, spelling: String)] {
        switch answer?.result {
        case .value(let body):
            do {
                return try MetadataParser.macEntries(body)
            } catch {
                throw .malformed(key: "macs/", value: body, problem: error.problem)
            }
        case .missing:
            throw .unavailable(reason: "macs/ answered 404")
        case .failed(let reason):
            throw answer?.budgetExhausted == true ? .timeout : .unavailable(reason: "macs/: \(reason)")
        case nil:
            throw .unavailable(reason: "macs/ not read")
        }
    }

    /// The instance `mac` is required (it says which ENI is primary); the ids are informative
    /// and a failure leaves them nil.
    private func instanceKeys(
        from fetched: [Job: Fetched], at now: ContinuousClock.Instant, notes: inout [MetadataDiagnostic]
    ) throws(MetadataError) -> InstanceKeys {
        let answer = fetched[.instance(.mac)]
        let primaryMAC: MACAddress
        switch answer?.result {
        case .value(let body):
            guard let mac = MACAddress(MetadataParser.plainValue(body)) else {
                throw .malformed(key: "mac", value: body, problem: "not a MAC address")
            }
            primaryMAC = mac
        case .missing:
            throw .unavailable(reason: "the instance mac key answered 404")
        case .failed(let reason):
            throw answer?.budgetExhausted == true ? .timeout : .unavailable(reason: "mac: \(reason)")
        case nil:
            throw .unavailable(reason: "the instance mac key was not read")
        }
        var retry = false
        func optional(_ key: InstanceKey) -> String? {
            switch fetched[.instance(key)]?.result {
            case .value(let body):
                do {
                    return try MetadataParser.identifier(body)
                } catch {
                    notes.append(MetadataDiagnostic(mac: nil, key: key.rawValue, value: body, problem: error.problem))
                    retry = true
                    return nil
                }
            case .missing:
                return nil
            case .failed(let reason):
                notes.append(MetadataDiagnostic(mac: nil, key: key.rawValue, value: "", problem: reason))
                retry = true
                return nil
            case nil:
                retry = true
                return nil
            }
        }
        let keys = InstanceKeys(
            primaryMAC: primaryMAC, instanceID: optional(.instanceID), regionID: optional(.regionID),
            zoneID: optional(.zoneID), fetchedAt: now, retryOptional: retry)
        instanceCache = keys
        return keys
    }

    private func checkListed(_ primaryMAC: MACAddress, in macs: Set<MACAddress>) throws(MetadataError) {
        // The primary ENI is there from boot: a listing without it is not one to act on.
        guard macs.contains(primaryMAC) else {
            throw .unavailable(reason: "the instance mac \(primaryMAC) is not listed under macs/")
        }
    }

    /// Every job, at most `maxConcurrency` at a time.
    private func fetchAll(_ jobs: [Job], spellings: [MACAddress: String], _ read: ReadContext) async -> [Job: Fetched] {
        let limit = max(1, configuration.maxConcurrency)
        return await withTaskGroup(of: (Job, Fetched).self) { group in
            var results: [Job: Fetched] = [:]
            var next = 0
            func start() {
                let job = jobs[next]
                let path = job.path(spellings: spellings)
                next += 1
                group.addTask { (job, await self.get(path, read)) }
            }
            while next < jobs.count && next < limit { start() }
            for await (job, answer) in group {
                results[job] = answer
                if next < jobs.count { start() }
            }
            return results
        }
    }
}

/// What one read shares between its requests.
struct ReadContext: Sendable {
    var pool: ConnectionPool
    var deadline: ContinuousClock.Instant
}

enum InstanceKey: String, Sendable, Hashable, CaseIterable {
    case mac
    case instanceID = "instance-id"
    case regionID = "region-id"
    case zoneID = "zone-id"
}

enum Job: Sendable, Hashable {
    case macs
    case instance(InstanceKey)
    case eni(MACAddress, ENIKey)

    static let root = "/latest/meta-data/"

    func path(spellings: [MACAddress: String]) -> String {
        switch self {
        case .macs: Self.root + "network/interfaces/macs/"
        case .instance(let key): Self.root + key.rawValue
        case .eni(let mac, let key):
            Self.root + "network/interfaces/macs/\(spellings[mac] ?? mac.description)/\(key.rawValue)"
        }
    }
}
