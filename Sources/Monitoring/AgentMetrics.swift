// SPDX-License-Identifier: Apache-2.0
/// What one sync tells the metrics, in the metrics' own words: the Agent turns its `SyncReport`
/// into this value, so that this module needs no other and reads no clock.
public struct SyncObservation: Sendable, Hashable {
    public enum Source: String, Sendable, Hashable, CaseIterable {
        /// A metadata read (the poll, a link event, a reload).
        case metadata
        /// A re-plan from the cached read after a kernel event: it restores, never removes.
        case kernelEvent = "kernel_event"
    }

    public enum Outcome: String, Sendable, Hashable, CaseIterable {
        /// Converged: a complete read (or a re-plan) and every operation applied.
        case ok
        /// Some operation failed, or the kernel could not be read.
        case failed
        /// Metadata was read but some ENI was incomplete or invalid: nothing removed there.
        case incomplete
        /// Nothing usable was read: nothing removed anywhere.
        case unavailable
    }

    public enum MetadataState: String, Sendable, Hashable, CaseIterable {
        case complete, incomplete, unavailable
    }

    public var source: Source
    public var outcome: Outcome
    /// How the read went; nil for a re-plan from the cached read, which reads nothing.
    public var metadataState: MetadataState?
    public var durationSeconds: Double
    /// When the sync ended, in seconds since the Unix epoch.
    public var finishedAt: Double
    public var operations: [Operation]
    /// Metadata HTTP requests sent by this sync's read, by outcome (`ok`, `not_found`, …).
    public var metadataRequests: [String: Int]
    /// Every ENI the sync managed, with its addresses counted by state after the sync.
    public var addresses: [ENIAddresses]

    public init(source: Source, outcome: Outcome, metadataState: MetadataState?, durationSeconds: Double, finishedAt: Double,
                operations: [Operation], metadataRequests: [String: Int], addresses: [ENIAddresses]) {
        self.source = source
        self.outcome = outcome
        self.metadataState = metadataState
        self.durationSeconds = durationSeconds
        self.finishedAt = finishedAt
        self.operations = operations
        self.metadataRequests = metadataRequests
        self.addresses = addresses
    }

    /// One kernel operation: `action` add, remove, replace or link-up; `object` address, route,
    /// rule or link; `outcome` applied, already_in_place, failed or unknown.
    public struct Operation: Sendable, Hashable {
        public var action: String
        public var object: String
        public var outcome: String

        public init(action: String, object: String, outcome: String) {
            self.action = action
            self.object = object
            self.outcome = outcome
        }

        public var applied: Bool { outcome == "applied" }
    }
}

/// One ENI's addresses by state, as `eni-agent status` names them.
public struct ENIAddresses: Sendable, Hashable {
    public enum State: String, Sendable, Hashable, CaseIterable {
        /// Present and created by eni-agent.
        case owned
        /// In metadata, not in the kernel.
        case missing
        /// Created by eni-agent, no longer in metadata: removed after the grace.
        case stale
        /// Present on the ENI's link, created by someone else: never touched.
        case foreign
    }

    public var eni: String
    public var mac: String
    public var interface: String
    public var counts: [State: Int]

    public init(eni: String, mac: String, interface: String, counts: [State: Int]) {
        self.eni = eni
        self.mac = mac
        self.interface = interface
        self.counts = counts
    }
}

/// The agent's metrics: counters summed over the daemon's life, gauges as the last sync left
/// them. A value: the daemon keeps one, records each sync into it and renders it to the file.
public struct AgentMetrics: Sendable, Hashable {
    public let version: String
    private var syncs: [SyncKey: Int] = [:]
    private var lastSync: Double?
    private var lastSuccess: Double?
    public private(set) var duration = Histogram(bounds: AgentMetrics.durationBounds)
    private var addresses: [ENIAddresses] = []
    private var operations: [SyncObservation.Operation: Int] = [:]
    private var requests: [String: Int] = [:]
    private var metadataState: SyncObservation.MetadataState?
    private var restores = 0

    /// From a quiet poll (milliseconds) to a read that spends its whole budget (20 s).
    public static let durationBounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30]

    private struct SyncKey: Hashable {
        var source: SyncObservation.Source
        var outcome: SyncObservation.Outcome
    }

    public init(version: String) {
        self.version = version
    }

    public mutating func record(_ sync: SyncObservation) {
        syncs[SyncKey(source: sync.source, outcome: sync.outcome), default: 0] += 1
        lastSync = sync.finishedAt
        if sync.outcome == .ok && sync.source == .metadata { lastSuccess = sync.finishedAt }
        duration.observe(sync.durationSeconds)
        addresses = sync.addresses
        for operation in sync.operations { operations[operation, default: 0] += 1 }
        for (outcome, count) in sync.metadataRequests { requests[outcome, default: 0] += count }
        if let state = sync.metadataState { metadataState = state }
        if sync.source == .kernelEvent { restores += sync.operations.filter(\.applied).count }
    }

    /// What a sync changed that a reader of the file should see at once: an ENI's addresses,
    /// the metadata state, a first success. The counters and the timestamps of a quiet poll
    /// wait for the minute's refresh.
    public func gaugesDiffer(from other: AgentMetrics) -> Bool {
        addresses != other.addresses || metadataState != other.metadataState || (lastSuccess == nil) != (other.lastSuccess == nil)
    }

    public func families() -> [MetricFamily] {
        let syncSamples = SyncObservation.Source.allCases.flatMap { source in
            SyncObservation.Outcome.allCases.map { outcome in
                Sample([Label("source", source.rawValue), Label("outcome", outcome.rawValue)],
                       Double(syncs[SyncKey(source: source, outcome: outcome)] ?? 0))
            }
        }
        let addressSamples = addresses.flatMap { eni in
            ENIAddresses.State.allCases.map { state in
                Sample([Label("eni", eni.eni), Label("mac", eni.mac), Label("interface", eni.interface), Label("state", state.rawValue)],
                       Double(eni.counts[state] ?? 0))
            }
        }
        let operationSamples = operations.sorted { ($0.key.action, $0.key.object, $0.key.outcome) < ($1.key.action, $1.key.object, $1.key.outcome) }
            .map { Sample([Label("action", $0.key.action), Label("object", $0.key.object), Label("outcome", $0.key.outcome)], Double($0.value)) }
        let requestSamples = requests.sorted { $0.key < $1.key }.map { Sample([Label("outcome", $0.key)], Double($0.value)) }
        let stateSamples = metadataState.map { current in
            SyncObservation.MetadataState.allCases.map { Sample([Label("state", $0.rawValue)], $0 == current ? 1 : 0) }
        } ?? []
        return [
            MetricFamily("eni_agent_syncs_total", .counter, help: "Sync cycles by what started them and how they ended.", samples: syncSamples),
            MetricFamily("eni_agent_last_sync_timestamp_seconds", .gauge, help: "When the last sync ended.",
                         samples: lastSync.map { [Sample($0)] } ?? []),
            MetricFamily("eni_agent_last_success_timestamp_seconds", .gauge,
                         help: "When the last sync that read complete metadata and applied every operation ended.",
                         samples: lastSuccess.map { [Sample($0)] } ?? []),
            MetricFamily("eni_agent_sync_duration_seconds", .histogram, help: "How long sync cycles took, metadata read included.",
                         samples: duration.samples()),
            MetricFamily("eni_agent_addresses", .gauge,
                         help: "Addresses per ENI after the last sync: owned (added by eni-agent), missing (in metadata, not in the kernel), stale (eni-agent's, no longer in metadata), foreign (someone else's).",
                         samples: addressSamples),
            MetricFamily("eni_agent_operations_total", .counter, help: "Kernel operations by action, object and outcome.",
                         samples: operationSamples),
            MetricFamily("eni_agent_metadata_requests_total", .counter, help: "Instance metadata HTTP requests by outcome.",
                         samples: requestSamples),
            MetricFamily("eni_agent_metadata_state", .gauge,
                         help: "How the last metadata read went: 1 for its state (complete, incomplete, unavailable), 0 for the others.",
                         samples: stateSamples),
            MetricFamily("eni_agent_restores_total", .counter,
                         help: "Objects put back by re-plans after kernel events (an address, route or rule removed by someone else).",
                         samples: [Sample(Double(restores))]),
            MetricFamily("eni_agent_build_info", .gauge, help: "The running eni-agent's version; always 1.",
                         samples: [Sample([Label("version", version)], 1)]),
        ]
    }

    public func render() -> String { Exposition.render(families()) }
}
