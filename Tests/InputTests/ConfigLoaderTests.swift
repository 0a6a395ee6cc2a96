// SPDX-License-Identifier: Apache-2.0
import Agent
import Foundation
import Settings
import Testing

/// Loading the configuration without a kernel: defaults, precedence, and bad values named by key
/// and value (the end-to-end tests check the exit code and that the kernel stays untouched).
@Suite struct ConfigLoaderTests {
    static func load(file: String? = nil, environment: [String: String] = [:],
                     flags: [Setting: String] = [:]) throws(ConfigError) -> AgentConfig {
        let path = NSTemporaryDirectory() + "eni-agent-config-\(UUID().uuidString).env"
        if let file { _ = FileManager.default.createFile(atPath: path, contents: Data(file.utf8)) }
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try ConfigLoader(filePath: path, fileExplicit: false, flags: flags, environment: environment).load()
    }

    /// Each key's default as `--help` and the sample file write it reads back as the typed
    /// default it was rendered from.
    @Test func nothingSetGivesTheTypedDefaults() throws {
        let loaded = try Self.load()
        let defaults = AgentConfig()
        #expect(loaded.metadata == defaults.metadata)
        #expect(loaded.plan == defaults.plan)
        #expect(loaded.pollInterval == defaults.pollInterval && loaded.readyTimeout == defaults.readyTimeout)
        #expect(loaded.stateDirectory == defaults.stateDirectory && loaded.cleanupOnStop == defaults.cleanupOnStop)
        #expect(loaded.logLevel == defaults.logLevel)
        #expect(Setting.pollInterval.defaultValue == "10s" && Setting.imdsEndpoint.defaultValue == "http://100.100.100.200")
    }

    @Test func aFlagBeatsTheEnvironmentWhichBeatsTheFile() throws {
        let file = "ENI_AGENT_POLL_INTERVAL=30s\nENI_AGENT_LOG_LEVEL=error\nENI_AGENT_REMOVAL_GRACE=5\n"
        let loaded = try Self.load(file: file, environment: ["ENI_AGENT_LOG_LEVEL": "warning", "ENI_AGENT_POLL_INTERVAL": "20s"],
                                         flags: [.logLevel: "debug"])
        #expect(loaded.logLevel == .debug)
        #expect(loaded.pollInterval == .seconds(20))
        #expect(loaded.plan.removalGrace == 5)
    }

    @Test(arguments: [("ENI_AGENT_POLL_INTERVAL", "soon"), ("ENI_AGENT_REMOVAL_GRACE", "-3"), ("ENI_AGENT_IPV6", "maybe"),
                      ("ENI_AGENT_IMDS_ENDPOINT", "https://100.100.100.200"), ("ENI_AGENT_STATE_DIR", "relative/dir"),
                      ("ENI_AGENT_NO_SUCH_KEY", "1")])
    func aBadValueIsNamedByKeyAndValue(key: String, value: String) throws {
        for source in ["environment", "file"] {
            do {
                _ = source == "file" ? try Self.load(file: "\(key)=\(value)\n") : try Self.load(environment: [key: value])
                Issue.record("\(key)=\(value) in the \(source) was accepted")
            } catch {
                #expect("\(error)".contains(key) && "\(error)".contains(value), "\(source): \(error)")
            }
        }
    }
}
