// SPDX-License-Identifier: Apache-2.0
import Agent
import Settings
import Testing

/// `ConfigLoader.build`: every value is checked, and a bad one is a `ConfigError` naming the key
/// and the value (exit 78 at start-up, the old configuration kept on reload), never a trap.
@Suite struct ConfigBuildTests {
    static func build(_ values: [Setting: String]) throws(ConfigError) -> AgentConfig {
        try ConfigLoader.build { values[$0] ?? $0.defaultValue }
    }

    static let durationKeys: [Setting] = [.imdsTimeout, .pollInterval, .readyTimeout]

    @Test func theDefaultsBuild() throws {
        let config = try Self.build([:])
        #expect(config.pollInterval == .seconds(10))
        #expect(config.metadata.requestTimeout == .seconds(3))
    }

    /// `3000000000000h` is 1.08e19 ms: past Int64, it trapped (SIGILL) before the range check.
    @Test(arguments: durationKeys, ["3000000000000h", "153722867280913m", "9223372036854776s", "9223372036854775808"])
    func aDurationTooLargeToCountIsAnErrorNamingKeyAndValue(setting: Setting, value: String) {
        #expect {
            try Self.build([setting: value])
        } throws: { error in
            let error = error as? ConfigError
            return error?.key == setting.name && error?.value == value && error?.description.contains(value) == true
        }
    }

    @Test(arguments: durationKeys)
    func aDurationOutOfRangeSaysTheRange(setting: Setting) {
        #expect {
            try Self.build([setting: "1000000h"])
        } throws: { error in
            "\(error)".contains("out of range") && "\(error)".contains("\(setting.name)=1000000h")
        }
    }

    /// A carriage return (a CRLF file read as LF), a NUL (which would cut a glob short in
    /// fnmatch(3)), an escape sequence: named, escaped, never used.
    @Test(arguments: [(Setting.ignoreInterfaces, "eth1\0*"), (.ipv6, "false\r"), (.stateDir, "/run/x\u{1B}[2J"), (.ignoreInterfaces, "eth1\teth2")])
    func aControlCharacterInAValueIsAnError(setting: Setting, value: String) {
        #expect {
            try Self.build([setting: value])
        } throws: { error in
            let text = "\(error)"
            return text.contains(setting.name) && text.contains("control character") && !text.contains("\0") && !text.contains("\u{1B}")
        }
    }

    /// No metrics unless asked for; a path node_exporter's textfile collector would never read
    /// (relative, or not a `.prom` file) is an error naming the key and the value.
    @Test func theMetricsFileIsOffByDefault() throws {
        #expect(try Self.build([:]).metricsFile == nil)
        #expect(try Self.build([.metricsFile: "/var/lib/prometheus/node-exporter/eni-agent.prom"]).metricsFile
            == "/var/lib/prometheus/node-exporter/eni-agent.prom")
    }

    @Test(arguments: ["eni-agent.prom", "var/lib/x.prom", "/var/lib/prometheus/node-exporter/eni-agent.txt",
                      "/var/lib/prometheus/node-exporter/", "/var/lib/prometheus/node-exporter/.prom"])
    func aMetricsFileNodeExporterWouldNotReadIsAnError(value: String) {
        #expect {
            try Self.build([.metricsFile: value])
        } throws: { error in
            (error as? ConfigError)?.key == "ENI_AGENT_METRICS_FILE" && "\(error)".contains(value)
        }
    }
}
