// SPDX-License-Identifier: Apache-2.0
import Monitoring
import Testing

@Suite struct AgentMetricsTests {
    static func sync(_ source: SyncObservation.Source = .metadata, _ outcome: SyncObservation.Outcome = .ok,
                     state: SyncObservation.MetadataState? = .complete, operations: [SyncObservation.Operation] = [],
                     addresses: [ENIAddresses] = [], at time: Double = 1_765_000_000) -> SyncObservation {
        SyncObservation(source: source, outcome: outcome, metadataState: state, durationSeconds: 0.02, finishedAt: time,
                        operations: operations, metadataRequests: ["ok": 3], addresses: addresses)
    }

    static func lines(_ metrics: AgentMetrics, _ name: String) -> [String] {
        metrics.render().split(separator: "\n").map(String.init).filter { $0.hasPrefix(name + "{") || $0.hasPrefix(name + " ") }
    }

    /// Every source and outcome is there from the start, at 0, so that `increase()` sees the
    /// first failure rather than a series that appears.
    @Test func syncCountersStartAtZeroForEveryOutcome() {
        var metrics = AgentMetrics(version: "1.2.3")
        metrics.record(Self.sync(.metadata, .unavailable, state: .unavailable))
        let syncs = Self.lines(metrics, "eni_agent_syncs_total")
        #expect(syncs.count == SyncObservation.Source.allCases.count * SyncObservation.Outcome.allCases.count)
        #expect(syncs.contains("eni_agent_syncs_total{source=\"metadata\",outcome=\"unavailable\"} 1"))
        #expect(syncs.contains("eni_agent_syncs_total{source=\"kernel_event\",outcome=\"ok\"} 0"))
        #expect(Self.lines(metrics, "eni_agent_metadata_state") == [
            "eni_agent_metadata_state{state=\"complete\"} 0",
            "eni_agent_metadata_state{state=\"incomplete\"} 0",
            "eni_agent_metadata_state{state=\"unavailable\"} 1",
        ])
        // No success yet: no timestamp an alert could take for one.
        #expect(Self.lines(metrics, "eni_agent_last_success_timestamp_seconds").isEmpty)
        #expect(Self.lines(metrics, "eni_agent_build_info") == ["eni_agent_build_info{version=\"1.2.3\"} 1"])
    }

    @Test func lastSuccessIsACompleteReadWithEveryOperationApplied() {
        var metrics = AgentMetrics(version: "1")
        metrics.record(Self.sync(at: 100))
        metrics.record(Self.sync(.metadata, .failed, at: 200))
        metrics.record(Self.sync(.kernelEvent, .ok, state: nil, at: 300))
        #expect(Self.lines(metrics, "eni_agent_last_success_timestamp_seconds") == ["eni_agent_last_success_timestamp_seconds 100"])
        #expect(Self.lines(metrics, "eni_agent_last_sync_timestamp_seconds") == ["eni_agent_last_sync_timestamp_seconds 300"])
        // A re-plan reads no metadata: the state stays the last read's.
        #expect(Self.lines(metrics, "eni_agent_metadata_state").contains("eni_agent_metadata_state{state=\"complete\"} 1"))
        #expect(Self.lines(metrics, "eni_agent_metadata_requests_total") == ["eni_agent_metadata_requests_total{outcome=\"ok\"} 9"])
        #expect(Self.lines(metrics, "eni_agent_sync_duration_seconds_count") == ["eni_agent_sync_duration_seconds_count 3"])
    }

    /// Addresses are the last sync's: an ENI detached since is no longer listed, and every state
    /// of a listed ENI has a series (0 included), so `missing > 0` needs no `or vector(0)`.
    @Test func addressesAreTheLastSyncsWithEveryState() {
        var metrics = AgentMetrics(version: "1")
        let eth1 = ENIAddresses(eni: "eni-1", mac: "00:16:3e:00:00:01", interface: "eth1", counts: [.owned: 2, .missing: 1])
        let eth2 = ENIAddresses(eni: "eni-2", mac: "00:16:3e:00:00:02", interface: "eth2", counts: [.foreign: 1])
        metrics.record(Self.sync(addresses: [eth1, eth2]))
        #expect(Self.lines(metrics, "eni_agent_addresses").count == 8)
        #expect(Self.lines(metrics, "eni_agent_addresses").contains(
            "eni_agent_addresses{eni=\"eni-1\",mac=\"00:16:3e:00:00:01\",interface=\"eth1\",state=\"missing\"} 1"))
        let before = metrics
        metrics.record(Self.sync(addresses: [eth1]))
        #expect(metrics.gaugesDiffer(from: before))
        #expect(Self.lines(metrics, "eni_agent_addresses").count == 4)
        #expect(!Self.lines(metrics, "eni_agent_addresses").contains { $0.contains("eni-2") })
        // A quiet poll: a later success, the same addresses.
        let same = metrics
        metrics.record(Self.sync(addresses: [eth1], at: 1_765_000_010))
        #expect(!metrics.gaugesDiffer(from: same))
    }

    /// Restores are what re-plans after kernel events applied; a poll's additions are not.
    @Test func restoresCountOnlyKernelEventReplans() {
        var metrics = AgentMetrics(version: "1")
        let add = SyncObservation.Operation(action: "add", object: "address", outcome: "applied")
        let done = SyncObservation.Operation(action: "add", object: "rule", outcome: "already_in_place")
        metrics.record(Self.sync(operations: [add, add]))
        metrics.record(Self.sync(.kernelEvent, .ok, state: nil, operations: [add, done]))
        #expect(Self.lines(metrics, "eni_agent_restores_total") == ["eni_agent_restores_total 1"])
        #expect(Self.lines(metrics, "eni_agent_operations_total") == [
            "eni_agent_operations_total{action=\"add\",object=\"address\",outcome=\"applied\"} 3",
            "eni_agent_operations_total{action=\"add\",object=\"rule\",outcome=\"already_in_place\"} 1",
        ])
    }

    /// Every name the agent renders is a valid metric name, every family has HELP and TYPE
    /// before its samples, and each sample line is `name{labels} value`.
    @Test func theDocumentIsWellFormed() {
        var metrics = AgentMetrics(version: "1")
        metrics.record(Self.sync(addresses: [ENIAddresses(eni: "e", mac: "m", interface: "i", counts: [:])]))
        var typed: Set<String> = []
        for family in metrics.families() {
            #expect(Exposition.isValidName(family.name))
            for sample in family.samples { #expect(sample.labels.allSatisfy { Exposition.isValidName($0.name, label: true) }) }
        }
        for line in metrics.render().split(separator: "\n") {
            if line.hasPrefix("# TYPE ") { typed.insert(String(line.split(separator: " ")[2])); continue }
            if line.hasPrefix("#") { continue }
            let name = String(line.prefix { $0 != "{" && $0 != " " })
            #expect(typed.contains { name == $0 || name == $0 + "_bucket" || name == $0 + "_sum" || name == $0 + "_count" }, "\(line)")
            #expect(Double(line.split(separator: " ").last ?? "") != nil, "\(line)")
        }
    }
}
