// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
import TestSupport

/// Configuration (docs/design.md §6): flags > environment > file > defaults, one key
/// namespace, and every mistake an exit 78 that names the key and the value, before anything
/// is read or changed. The agent runs inside a lab even where it should never get far: a
/// configuration bug must not let it loose on the host's own network.
@Suite(.requiresRoot, .blockingWork) struct ConfigTests {
    /// A reachable port nobody listens on: a metadata client sent there fails at once.
    static let nowhere = "http://127.0.0.1:9"

    struct BadValue: Sendable {
        var key: String
        var value: String
    }

    static let badValues: [BadValue] = [
        BadValue(key: "ENI_AGENT_POLL_INTERVALL", value: "7s"),              // unknown key
        BadValue(key: "ENI_AGENT_POLL_INTERVAL", value: "10 parsecs"),       // duration
        BadValue(key: "ENI_AGENT_READY_TIMEOUT", value: "-1s"),              // negative duration
        BadValue(key: "ENI_AGENT_IMDS_TIMEOUT", value: "90s"),               // duration out of range
        BadValue(key: "ENI_AGENT_REMOVAL_GRACE", value: "0"),                // integer range
        BadValue(key: "ENI_AGENT_IMDS_TOKEN_TTL", value: "21601"),           // integer range
        BadValue(key: "ENI_AGENT_SUBNET_TABLE_BASE", value: "12"),           // integer range
        BadValue(key: "ENI_AGENT_IPV6", value: "maybe"),                     // boolean
        BadValue(key: "ENI_AGENT_CLEANUP_ON_STOP", value: "yes please"),     // boolean
        BadValue(key: "ENI_AGENT_IMDS_TOKEN", value: "sometimes"),           // token mode
        BadValue(key: "ENI_AGENT_IMDS_ENDPOINT", value: "https://100.100.100.200"), // URL
        BadValue(key: "ENI_AGENT_IMDS_ENDPOINT", value: "http://100.100.100.200/latest"),
        BadValue(key: "ENI_AGENT_SUBNET_TABLE_BASE", value: "20001"),        // table scheme order
        BadValue(key: "ENI_AGENT_LOG_LEVEL", value: "loud"),                 // log level
        BadValue(key: "ENI_AGENT_STATE_DIR", value: "relative/state"),       // relative directory
        BadValue(key: "ENI_AGENT_METRICS_FILE", value: "/var/lib/x/eni-agent.txt"), // not a *.prom file
        // Too large to count in milliseconds: these trapped (SIGILL) before the range check.
        BadValue(key: "ENI_AGENT_POLL_INTERVAL", value: "3000000000000h"),
        BadValue(key: "ENI_AGENT_IMDS_TIMEOUT", value: "153722867280913m"),
        BadValue(key: "ENI_AGENT_READY_TIMEOUT", value: "9223372036854776s"),
    ]

    /// Exit 78, the key and the value in the message, and nothing read or changed.
    func expectRejected(_ result: CommandResult, _ lab: LabFixture, naming words: [String], before: String) async throws {
        #expect(result.status == 78, "\(result)")
        for word in words { #expect(result.stderr.contains(word), "stderr names \(word): \(result.stderr)") }
        #expect(try lab.metadataRequests() == 0)
        #expect(try await lab.kernelSnapshot() == before)
    }

    // One lab per test and a loop over the cases: a lab costs far more than a rejected run.

    @Test func aBadValueInTheEnvironmentExits78NamingKeyAndValue() async throws {
        let lab = try await LabFixture.start()
        defer { lab.destroy() }
        try await lab.settle()
        let before = try await lab.kernelSnapshot()
        for bad in Self.badValues {
            let result = try await lab.sync(environment: [bad.key: bad.value])
            try await expectRejected(result, lab, naming: [bad.key, bad.value], before: before)
        }
    }

    @Test func aBadValueInTheFileExits78NamingKeyAndValue() async throws {
        let lab = try await LabFixture.start()
        defer { lab.destroy() }
        try await lab.settle()
        let before = try await lab.kernelSnapshot()
        for bad in Self.badValues {
            try lab.writeConfig("\(bad.key)=\(bad.value)")
            try await expectRejected(try await lab.sync(), lab, naming: [bad.key, bad.value], before: before)
        }
    }

    static let malformedLines = [
        (line: "# a comment\nthis is not a setting", named: "this is not a setting", detail: ":3"),
        (line: "ENI_AGENT_IPV6", named: "ENI_AGENT_IPV6", detail: ":2"),
        (line: "ENI_AGENT_LOG_LEVEL=\"debug\"", named: "\"debug\"", detail: "quotes"),
        (line: "ENI_AGENT_LOG_LEVEL='debug'", named: "'debug'", detail: "quotes"),
        (line: "PATH=/usr/bin", named: "PATH", detail: "unknown key"),
        (line: "export ENI_AGENT_IPV6=true", named: "export ENI_AGENT_IPV6", detail: "unknown key"),
    ]

    @Test func aMalformedFileLineExits78NamingTheLine() async throws {
        let lab = try await LabFixture.start()
        defer { lab.destroy() }
        try await lab.settle()
        let before = try await lab.kernelSnapshot()
        for bad in Self.malformedLines {
            try lab.writeConfig(bad.line)
            try await expectRejected(try await lab.sync(), lab, naming: [lab.configFile, bad.named, bad.detail], before: before)
        }
    }

    /// A file saved on Windows: CRLF line endings, here after a comment as in the shipped file.
    /// It used to be read as one comment line, so IPv6 was still planned.
    @Test func aCRLFFileCounts() async throws {
        let lab = try await LabFixture.start()
        defer { lab.destroy() }
        let file = try lab.writeFile("crlf.env", "# comment\r\nENI_AGENT_STATE_DIR=\(lab.stateDirectory)\r\nENI_AGENT_IPV6=false\r\n")
        let result = try await lab.agentExact(["--sync", "--dry-run", "--json", "--config", file])
        #expect(result.status == 0, "\(result)")
        #expect(try jq("[.ops[] | select(.command | contains(\":\"))] | length", result.stdout) == "0", "no IPv6: \(result.stdout)")
        #expect(try jq(".ops | length", result.stdout) != "0")
    }

    /// A state directory eni-agent cannot write (here one /proc refuses; under the packaged units
    /// anything but /run/eni-agent, which ProtectSystem=strict makes read-only).
    @Test func anUnwritableStateDirectoryExits78ForTheDaemonAndTheSyncNotTheDryRun() async throws {
        let lab = try await LabFixture.start()
        defer { lab.destroy() }
        try await lab.settle()
        let before = try await lab.kernelSnapshot()
        let unwritable = ["ENI_AGENT_STATE_DIR": "/proc/eni-agent-state"]
        let sync = try await lab.agentExact(["--sync"], environment: unwritable)
        try await expectRejected(sync, lab, naming: ["ENI_AGENT_STATE_DIR=/proc/eni-agent-state", "cannot keep the state file"], before: before)
        let daemon = try await lab.agentExact([], environment: unwritable.merging(["INVOCATION_ID": "0"]) { $1 })
        try await expectRejected(daemon, lab, naming: ["ENI_AGENT_STATE_DIR=/proc/eni-agent-state", "RuntimeDirectory, /run/eni-agent"],
                                 before: before)
        #expect(try await lab.agentExact(["--sync", "--dry-run"], environment: unwritable).status == 0)
    }

    /// A metrics file in a directory that does not exist is a typo: the daemon exits 78 before
    /// touching anything. A `--sync` writes no metrics, so it goes on.
    @Test func aMetricsFileInAMissingDirectoryExits78ForTheDaemonOnly() async throws {
        let lab = try await LabFixture.start()
        defer { lab.destroy() }
        try await lab.settle()
        let before = try await lab.kernelSnapshot()
        let missing = ["ENI_AGENT_METRICS_FILE": "/nonexistent-eni-agent/eni-agent.prom"]
        let daemon = try await lab.agentExact(["--config", lab.configFile], environment: missing)
        try await expectRejected(daemon, lab, naming: ["ENI_AGENT_METRICS_FILE=/nonexistent-eni-agent/eni-agent.prom", "does not exist"],
                                 before: before)
        #expect(try await lab.agentExact(["--sync", "--dry-run", "--config", lab.configFile], environment: missing).status == 0)
    }

    /// Under systemd (INVOCATION_ID) the daemon says that it will not be restarted: the unit's
    /// RestartPreventExitStatus=78 stops `Restart=always` from retrying it every 5 s.
    @Test func theDaemonSaysSystemdWillNotRestartItUntilTheConfigurationIsFixed() async throws {
        let lab = try await LabFixture.start()
        defer { lab.destroy() }
        try await lab.settle()
        let before = try await lab.kernelSnapshot()
        try lab.writeConfig("ENI_AGENT_POLL_INTERVAL=3000000000000h")
        let daemon = try await lab.agentExact(["--config", lab.configFile], environment: ["INVOCATION_ID": "0"])
        try await expectRejected(daemon, lab, naming: ["ENI_AGENT_POLL_INTERVAL=3000000000000h",
                                                       "systemd will not restart it until the configuration is fixed"], before: before)
        let unsupervised = try await lab.agentExact(["--config", lab.configFile], prefix: ["env", "-u", "INVOCATION_ID", "-u", "NOTIFY_SOCKET"])
        try await expectRejected(unsupervised, lab, naming: ["ENI_AGENT_POLL_INTERVAL=3000000000000h"], before: before)
        #expect(!unsupervised.stderr.contains("systemd"), "\(unsupervised.stderr)")
    }

    @Test func aMissingConfigFileGivenWithConfigExits78() async throws {
        let lab = try await LabFixture.start()
        defer { lab.destroy() }
        try await lab.settle()
        let before = try await lab.kernelSnapshot()
        let missing = lab.directory + "/no-such.env"
        let result = try await lab.agentExact(["--sync", "--config", missing], environment: ["ENI_AGENT_STATE_DIR": lab.stateDirectory])
        try await expectRejected(result, lab, naming: [missing], before: before)
    }

    @Test(.enabled(if: !FileManager.default.fileExists(atPath: "/etc/eni-agent/eni-agent.env"), "this machine has the default file"))
    func theDefaultConfigFileMayBeMissing() async throws {
        let lab = try await LabFixture.start()
        defer { lab.destroy() }
        let result = try await lab.agentExact(["--sync", "--dry-run"], environment: ["ENI_AGENT_STATE_DIR": lab.stateDirectory])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.split(separator: "\n").count == 41)
    }

    @Test func theFlagBeatsTheEnvironmentWhichBeatsTheFile() async throws {
        let lab = try await LabFixture.start(config: "ENI_AGENT_IMDS_ENDPOINT=\(Self.nowhere)\nENI_AGENT_LOG_LEVEL=error")
        defer { lab.destroy() }
        let flag = try await lab.sync(["--dry-run", "--imds-endpoint", "http://100.100.100.200", "--log-level", "debug"],
                                environment: ["ENI_AGENT_IMDS_ENDPOINT": Self.nowhere, "ENI_AGENT_LOG_LEVEL": "warning"])
        #expect(flag.status == 0, "\(flag)")
        #expect(flag.stderr.contains("debug: "), "the flag's log level: \(flag.stderr)")

        let environment = try await lab.sync(["--dry-run"], environment: ["ENI_AGENT_IMDS_ENDPOINT": "http://100.100.100.200:80/",
                                                                   "ENI_AGENT_LOG_LEVEL": "info"])
        #expect(environment.status == 0, "\(environment)")
        #expect(environment.stderr.contains("info: dry run") && !environment.stderr.contains("debug: "), "\(environment.stderr)")

        // And the file does count when nothing overrides it.
        let requests = try lab.metadataRequests()
        let file = try await lab.sync(["--dry-run", "--log-level", "info"])
        #expect(file.status == 69, "\(file)")
        #expect(file.stderr.contains("127.0.0.1"), "\(file.stderr)")
        #expect(try lab.metadataRequests() == requests, "the file's endpoint, not the simulator")
    }

    @Test func theTableBasesSuppressPriorityIPv6AndBringUpSettingsShapeTheKernel() async throws {
        let lab = try await LabFixture.start(config: """
            ENI_AGENT_SUBNET_TABLE_BASE=1000
            ENI_AGENT_SUPPRESS_PRIORITY=1500
            ENI_AGENT_DEFAULT_TABLE_BASE=3000
            ENI_AGENT_IPV6=false
            ENI_AGENT_BRING_UP_LINKS=false
            """)
        defer { lab.destroy() }
        let result = try await lab.sync()
        #expect(result.status == 0, "\(result)")
        let index = try lab.linkIndex("eth1")
        let rules = try lab.rules()
        #expect(rules.contains("\(1000 + index):\tfrom 192.168.1.212 lookup \(1000 + index) proto 233"), "\(rules)")
        #expect(rules.contains("\(3000 + index):\tfrom 192.168.1.212 lookup \(3000 + index) proto 233"), "\(rules)")
        #expect(rules.contains("1500:\tfrom all lookup main suppress_prefixlength 0 proto 233"), "\(rules)")
        #expect(!rules.contains { $0.contains("20000") || $0.contains("19999") || $0.contains("2408:") })
        // No IPv6 anywhere, and the secondary links stay down as found: their addresses and
        // rules are in place, their routes (which the kernel refuses on a down link) wait.
        #expect(try lab.addresses("eth1") == Sample.eth1IPv4.map { "\($0)/24" })
        #expect(!(try lab.addresses("eth0")).contains { $0.contains(":") })
        #expect(!(try lab.ecs.ipJSON("link", "show", "dev", "eth2").first?["flags"] as? [String] ?? []).contains("UP"))
        #expect(try lab.ecs.ipJSON("route", "show", "table", "all").filter { $0["protocol"] as? String == "233" }.isEmpty)
        #expect(try await lab.plannedOps() == 0)

        // Somebody else brings the links up: the next sync adds the routes.
        try lab.ecs.ip("link", "set", "eth1", "up")
        try lab.ecs.ip("link", "set", "eth2", "up")
        #expect(try await lab.sync().status == 0)
        #expect(try lab.ecs.ip("route", "show", "table", "\(3000 + index)").contains("default via 192.168.1.253 dev eth1"))
        #expect(try lab.ecs.ip("route", "show", "table", "\(1000 + index)").contains("192.168.1.0/24 dev eth1"))
        #expect(try lab.routeGet("8.8.8.8", from: "192.168.1.212").contains("dev eth1 table \(3000 + index)"))
        #expect(try await lab.plannedOps() == 0)
    }

    @Test(arguments: ["eth2", "eth[2-9]", "00:16:3E:00:00:03", "veth0 eth2"])
    func anIgnoredInterfaceIsNeverTouched(pattern: String) async throws {
        let lab = try await LabFixture.start(config: "ENI_AGENT_IGNORE_INTERFACES=\(pattern)")
        defer { lab.destroy() }
        let result = try await lab.sync(["--json"])
        #expect(result.status == 0, "\(result)")
        #expect(try jq("[.ops[] | select(.ifname == \"eth2\")] | length", result.stdout) == "0")
        #expect(try lab.addresses("eth2").isEmpty)
        #expect(try lab.addresses("eth1").count == 5)

        // Managed once, then ignored: its objects stay even when its ENI leaves metadata.
        #expect(try await lab.sync(environment: ["ENI_AGENT_IGNORE_INTERFACES": ""]).status == 0)
        #expect(try lab.addresses("eth2").count == 3)
        try lab.admin("DELETE", "/_sim/enis/\(LabFixture.eth2MAC)")
        for _ in 1...2 { #expect(try await lab.sync().status == 0) }
        #expect(try lab.addresses("eth2").count == 3)
        #expect(try lab.rules().filter { $0.contains("192.168.1.22") }.count == 4)
    }

    @Test func everyKeyOfTheShippedSampleUncommentedGivesTheSamePlanAsNoFile() async throws {
        let lab = try await LabFixture.start()
        defer { lab.destroy() }
        let sample = try String(contentsOfFile: BuildProducts.packageRoot + "/packaging/eni-agent.env", encoding: .utf8)
        var keys: [String] = []
        let uncommented = sample.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard line.range(of: #"^#ENI_AGENT_[A-Z0-9_]+="#, options: .regularExpression) != nil else { return String(line) }
            keys.append(String(line.dropFirst().prefix { $0 != "=" }))
            return String(line.dropFirst())
        }.joined(separator: "\n")
        let everyKey = try lab.writeFile("sample.env", uncommented)
        let noKey = try lab.writeFile("empty.env", "# nothing\n")

        // The sample documents every key the agent knows, once.
        let unknown = try await lab.sync(environment: ["ENI_AGENT_NO_SUCH_KEY": "1"])
        #expect(unknown.status == 78)
        let known = unknown.stderr.range(of: #"known: [A-Z0-9_, ]+"#, options: .regularExpression).map {
            unknown.stderr[$0].dropFirst("known: ".count).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        } ?? []
        #expect(!known.isEmpty, "\(unknown.stderr)")
        #expect(keys.sorted() == known.sorted(), "sample \(keys.sorted()) vs known \(known.sorted())")

        // Every default is valid and means what no file means. Both read /run/eni-agent (the
        // default state directory); a dry run writes nothing there.
        let withSample = try await lab.agentExact(["--sync", "--dry-run", "--json", "--config", everyKey])
        let without = try await lab.agentExact(["--sync", "--dry-run", "--json", "--config", noKey])
        #expect(withSample.status == 0, "\(withSample)")
        #expect(without.status == 0, "\(without)")
        #expect(try jq(".ops | length", withSample.stdout) == "41")
        #expect(try jq("[.ops[] | .command + \" # \" + .reason] | join(\"\\n\")", withSample.stdout)
                == jq("[.ops[] | .command + \" # \" + .reason] | join(\"\\n\")", without.stdout))
    }
}
