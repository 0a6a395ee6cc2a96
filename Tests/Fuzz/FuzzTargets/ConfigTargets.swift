// SPDX-License-Identifier: Apache-2.0
import Agent
import Model
import Reconcile
import Settings

extension FuzzTarget {
    /// `/etc/eni-agent/eni-agent.env`, then the values it sets through the loader's checks.
    static let environmentFile = FuzzTarget(name: "env-file", reads: "the configuration file, through EnvironmentFile and ConfigLoader.build") { bytes in
        let values: [String: String]
        do throws(ConfigError) {
            values = try EnvironmentFile.parse(text(bytes), path: "/etc/eni-agent/eni-agent.env")
        } catch {
            try expect(isPrintable(error.description), "an error that breaks its log line: \(error.description.debugDescription)")
            return
        }
        for (name, value) in values {
            try expect(Setting(name: name) != nil, "unknown key \(name.debugDescription) accepted")
            try expect(!value.contains("\n") && !value.hasPrefix("\"") && !value.hasPrefix("'"), "value \(value.debugDescription) accepted")
        }
        try checkBuild { values[$0.name] ?? $0.defaultValue }
    }

    /// One value per key, cut at NULs in the order of `Setting.allCases`; the rest default.
    static let configValues = FuzzTarget(name: "config-values", reads: "a value for each ENI_AGENT_* key (NUL-separated), through ConfigLoader.build") { bytes in
        let values = Dictionary(uniqueKeysWithValues: zip(Setting.allCases, fields(bytes)))
        try checkBuild { values[$0] ?? $0.defaultValue }
    }

    private static func checkBuild(_ value: (Setting) -> String) throws {
        let config: AgentConfig
        do throws(ConfigError) {
            config = try ConfigLoader.build(value)
        } catch {
            try expect(isPrintable(error.description), "an error that breaks its log line: \(error.description.debugDescription)")
            try expect(error.description.unicodeScalars.count < 2048, "an error of \(error.description.unicodeScalars.count) characters")
            return
        }
        for duration in [config.pollInterval, config.readyTimeout, config.metadata.requestTimeout] {
            try expect(DurationText.parse(DurationText.format(duration)) == duration, "\(duration) does not read back")
        }
        try expect((1...65535).contains(config.metadata.port) && !config.metadata.host.isEmpty, "endpoint \(config.metadata.host):\(config.metadata.port)")
        try expect(config.stateDirectory.hasPrefix("/") && isPrintable(config.stateDirectory), "state directory \(config.stateDirectory.debugDescription)")
        for pattern in config.plan.ignored.patterns {
            try expect(!pattern.isEmpty && isPrintable(pattern), "pattern \(pattern.debugDescription)")
        }
    }

    /// `10s`, `500ms`, `2m`, `1h`, seconds: what parses formats back to itself.
    static let durations = FuzzTarget(name: "duration", reads: "a duration value, through DurationText") { bytes in
        guard let duration = DurationText.parse(text(bytes)) else { return }
        try expect(duration >= .zero, "negative \(duration)")
        let formatted = DurationText.format(duration)
        try expect(DurationText.parse(formatted) == duration, "\(duration) formats as \(formatted), which reads back as something else")
    }

    /// `ENI_AGENT_IGNORE_INTERFACES` (first line) against interface names and MACs (the other
    /// lines, each a name and optionally a MAC).
    static let interfaceGlobs = FuzzTarget(name: "interface-globs", reads: "ENI_AGENT_IGNORE_INTERFACES and interface names, through the loader and InterfaceMatcher") { bytes in
        let lines = text(bytes).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let patterns = lines.first else { return }
        let config: AgentConfig
        do throws(ConfigError) {
            config = try ConfigLoader.build { $0 == .ignoreInterfaces ? patterns : $0.defaultValue }
        } catch {
            try expect(isPrintable(error.description), "an error that breaks its log line: \(error.description.debugDescription)")
            return
        }
        let matcher = config.plan.ignored
        for line in lines.dropFirst() {
            let words = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard let name = words.first else { continue }
            let mac = words.count > 1 ? MACAddress(words[1]) : nil
            let matched = matcher.matches(name: name, mac: mac)
            // A pattern without glob characters is a name, and a name matches itself.
            if matcher.patterns.contains(name) && !name.contains(where: { "*?[\\".contains($0) }) && MACAddress(name) == nil {
                try expect(matched, "\(name) is listed but not matched")
            }
        }
    }
}
