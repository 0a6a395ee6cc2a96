// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
import TestSupport

/// The metrics file as an operator's Prometheus sees it: Debian's prometheus-node-exporter runs
/// for real in the lab's namespace (on its loopback only), its textfile collector pointed at a
/// directory holding a symlink to the agent's file, as README.md, "Monitoring", sets it up; what
/// it serves is checked against the kernel.
@Suite(.requiresRoot, .blockingWork) struct MetricsScrapeTests {
    static let exporter = "/usr/bin/prometheus-node-exporter"

    /// Samples of `name` from the exposition text, as label set → value.
    static func samples(_ text: String, _ name: String) -> [(labels: [String: String], value: Double)] {
        text.split(separator: "\n").compactMap { line -> ([String: String], Double)? in
            guard line.hasPrefix(name + "{") || line.hasPrefix(name + " ") else { return nil }
            var labels: [String: String] = [:]
            if let open = line.firstIndex(of: "{"), let close = line.lastIndex(of: "}") {
                // The lab's label values hold no comma, quote or backslash.
                for pair in line[line.index(after: open)..<close].split(separator: ",") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
                }
            }
            return Double(line.split(separator: " ").last ?? "").map { (labels, $0) }
        }
    }

    static func addresses(_ text: String, _ interface: String, _ state: String) -> Double? {
        samples(text, "eni_agent_addresses").first { $0.labels["interface"] == interface && $0.labels["state"] == state }?.value
    }

    @Test func nodeExporterServesTheAgentsMetricsAndTheyMatchTheKernel() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.exporter) else {
            Issue.record("\(Self.exporter) is missing: scripts/test installs Debian's prometheus-node-exporter")
            return
        }
        var textfileDirectory = ""
        let run = try await DaemonLab.start(environment: ["ENI_AGENT_POLL_INTERVAL": "1s"]) { lab in
            textfileDirectory = lab.directory + "/node-exporter"
            try FileManager.default.createDirectory(atPath: textfileDirectory, withIntermediateDirectories: true)
            // The agent writes in its own directory; the collector's directory holds a link.
            try FileManager.default.createSymbolicLink(atPath: textfileDirectory + "/eni-agent.prom",
                                                       withDestinationPath: lab.stateDirectory + "/eni-agent.prom")
            try lab.writeConfig("ENI_AGENT_METRICS_FILE=\(lab.stateDirectory)/eni-agent.prom")
        }
        defer { run.destroy() }
        guard await run.waitReady() != nil else { return }
        try run.lab.ecs.ip("link", "set", "lo", "up")
        let exporter = try BackgroundProcess(["/usr/sbin/ip", "netns", "exec", run.lab.ecs.name, Self.exporter,
                                              "--web.listen-address=127.0.0.1:9100", "--collector.disable-defaults",
                                              "--collector.textfile", "--collector.textfile.directory=\(textfileDirectory)"])
        defer { exporter.signal(SIGKILL) }
        func scrape() -> String {
            (try? run.lab.ecs.exec(["curl", "-sf", "--max-time", "5", "http://127.0.0.1:9100/metrics"], timeout: .seconds(10)).stdout) ?? ""
        }

        var text = ""
        let served = await eventually(timeout: .seconds(30), every: .milliseconds(100)) {
            text = scrape()
            return text.contains("eni_agent_build_info")
        }
        #expect(served, "node_exporter served no eni-agent metrics\n\(text.suffix(2000))\n--- exporter\n\(exporter.stderr.suffix(2000))\n\(run.diagnostics)")
        guard served else { return }
        // The collector read the file without error (a torn or malformed file sets this to 1).
        #expect(Self.samples(text, "node_textfile_scrape_error").first?.value == 0, "\(exporter.stderr.suffix(2000))")

        // Every address on a managed link is counted once, as eni-agent's or as someone else's,
        // and nothing is missing or stale after the first complete sync.
        for interface in ["eth0", "eth1", "eth2"] {
            let kernel = try run.lab.addresses(interface)
            let owned = try #require(Self.addresses(text, interface, "owned"), "\(interface)\n\(text)")
            let foreign = try #require(Self.addresses(text, interface, "foreign"))
            #expect(owned + foreign == Double(kernel.count), "\(interface): kernel \(kernel)\n\(text)")
            #expect(Self.addresses(text, interface, "missing") == 0)
            #expect(Self.addresses(text, interface, "stale") == 0)
        }
        // The secondary ENIs' addresses are all eni-agent's; the primary ENI's own address is DHCP's.
        #expect(Self.addresses(text, "eth1", "foreign") == 0)
        #expect(Self.addresses(text, "eth0", "foreign") == 1)
        #expect(Self.samples(text, "eni_agent_metadata_state").first { $0.labels["state"] == "complete" }?.value == 1)
        #expect(Self.samples(text, "eni_agent_last_success_timestamp_seconds").first.map { abs($0.value - Date().timeIntervalSince1970) < 300 } == true)
        #expect((Self.samples(text, "eni_agent_metadata_requests_total").first { $0.labels["outcome"] == "ok" }?.value ?? 0) > 0)

        // Someone else's address appears in the metrics as foreign by the next poll; an owned one
        // deleted is restored by the kernel event's re-plan, and counted.
        try run.lab.ecs.ip("addr", "add", "192.168.1.250/24", "dev", "eth1")
        defer { _ = try? run.lab.ecs.ip("addr", "del", "192.168.1.250/24", "dev", "eth1") }
        try run.lab.ecs.ip("addr", "del", "192.168.1.212/24", "dev", "eth1")
        let tracked = await eventually(timeout: .seconds(30), every: .milliseconds(100)) {
            text = scrape()
            return Self.addresses(text, "eth1", "foreign") == 1
                && (Self.samples(text, "eni_agent_restores_total").first?.value ?? 0) >= 1
                && Self.addresses(text, "eth1", "missing") == 0
        }
        #expect(tracked, "\(text)\n\(run.diagnostics)")
        #expect(try run.lab.addresses("eth1").contains("192.168.1.212/24"))
        let owned = Self.addresses(text, "eth1", "owned") ?? -1
        let eth1 = try run.lab.addresses("eth1")
        #expect(owned + 1 == Double(eth1.count), "\(eth1)\n\(text)")
    }
}
