// SPDX-License-Identifier: Apache-2.0
public import Agent
import Configuration
import Logging
import Metadata
import Reconcile
import Systemd

/// A configuration problem, named by key and value: `--sync` exits 78 with it, a reload keeps
/// the old configuration and logs it.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public var key: String
    public var value: String?
    public var problem: String

    public init(key: String, value: String?, problem: String) {
        self.key = key
        self.value = value
        self.problem = problem
    }

    public var description: String {
        if let value { return "\(ShownText.of(key))=\(ShownText.of(value)): \(problem)" }
        return "\(ShownText.of(key)): \(problem)"
    }
}

/// Builds an `AgentConfig` from flags > environment > file > defaults (docs/design.md §6).
public struct ConfigLoader: Sendable {
    public var filePath: String
    /// The path was given with --config: then a missing file is an error.
    public var fileExplicit: Bool
    public var flags: [Setting: String]
    public var environment: [String: String]

    public init(filePath: String, fileExplicit: Bool, flags: [Setting: String], environment: [String: String]) {
        self.filePath = filePath
        self.fileExplicit = fileExplicit
        self.flags = flags
        self.environment = environment
    }

    public func load() throws(ConfigError) -> AgentConfig {
        for name in environment.keys.sorted() where name.hasPrefix(Setting.prefix) && Setting(name: name) == nil {
            throw ConfigError(key: name, value: environment[name], problem: "unknown key in the environment (\(Setting.known))")
        }
        let file = try readConfigFile().map { text throws(ConfigError) in try EnvironmentFile.parse(text, path: filePath) } ?? [:]
        let flagValues = Dictionary(uniqueKeysWithValues: flags.map { (AbsoluteConfigKey($0.key.key), ConfigValue(.string($0.value), isSecret: false)) })
        let reader = ConfigReader(providers: [
            InMemoryProvider(name: "flags", values: flagValues),
            EnvironmentVariablesProvider(environmentVariables: environment.filter { $0.key.hasPrefix(Setting.prefix) }),
            // The file as `EnvironmentFile` read it: its names map to keys as the environment's do.
            EnvironmentVariablesProvider(environmentVariables: file),
        ])
        return try Self.build { setting in reader.string(forKey: setting.key) ?? setting.defaultValue }
    }

    private func readConfigFile() throws(ConfigError) -> String? {
        do {
            return try TextFile.read(filePath, limit: 1 << 20)
        } catch where error.isNotFound && !fileExplicit {
            return nil
        } catch {
            throw ConfigError(key: filePath, value: nil, problem: "cannot read the configuration file: \(error)")
        }
    }

    /// Parses and validates every value; the first bad one is the error.
    public static func build(_ value: (Setting) -> String) throws(ConfigError) -> AgentConfig {
        func fail(_ s: Setting, _ problem: String) -> ConfigError { ConfigError(key: s.name, value: value(s), problem: problem) }
        // No value has a use for one, and a NUL would cut a glob or a path short where C reads it.
        for setting in Setting.allCases {
            if let c = value(setting).unicodeScalars.first(where: { $0.properties.generalCategory == .control }) {
                throw fail(setting, "contains the control character \(ShownText.of(String(c)))")
            }
        }
        func bool(_ s: Setting) throws(ConfigError) -> Bool {
            switch value(s).lowercased() {
            case "true", "yes", "1", "on": return true
            case "false", "no", "0", "off": return false
            default: throw fail(s, "not a boolean (true or false)")
            }
        }
        func integer(_ s: Setting, _ range: ClosedRange<Int>) throws(ConfigError) -> Int {
            guard let n = Int(value(s)), range.contains(n) else { throw fail(s, "not an integer in \(range.lowerBound)...\(range.upperBound)") }
            return n
        }
        func duration(_ s: Setting, _ range: ClosedRange<Duration>) throws(ConfigError) -> Duration {
            guard let d = DurationText.parse(value(s)) else { throw fail(s, "not a duration (write 500ms, 10s, 2m or 1h)") }
            guard range.contains(d) else {
                throw fail(s, "out of range: from \(DurationText.format(range.lowerBound)) to \(DurationText.format(range.upperBound))")
            }
            return d
        }

        var config = AgentConfig()
        guard var metadata = MetadataConfiguration(endpoint: value(.imdsEndpoint)) else {
            throw fail(.imdsEndpoint, "not an http://host[:port] URL")
        }
        guard let token = TokenMode(rawValue: value(.imdsToken)) else { throw fail(.imdsToken, "must be auto, required or off") }
        metadata.tokenMode = token
        metadata.tokenTTL = try integer(.imdsTokenTTL, 1...21600)
        metadata.requestTimeout = try duration(.imdsTimeout, .milliseconds(100)...(.seconds(60)))
        config.metadata = metadata
        config.pollInterval = try duration(.pollInterval, .milliseconds(200)...(.seconds(86400)))
        config.readyTimeout = try duration(.readyTimeout, .seconds(0)...(.seconds(3600)))

        let scheme: RoutingScheme
        do {
            scheme = try RoutingScheme(subnetBase: UInt32(try integer(.subnetTableBase, 256...32765)),
                                       suppressPriority: UInt32(try integer(.suppressPriority, 1...32765)),
                                       defaultBase: UInt32(try integer(.defaultTableBase, 256...32765)))
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError(key: "\(Setting.subnetTableBase.name), \(Setting.suppressPriority.name), \(Setting.defaultTableBase.name)",
                              value: "\(value(.subnetTableBase)), \(value(.suppressPriority)), \(value(.defaultTableBase))", problem: "\(error)")
        }
        let ignored = value(.ignoreInterfaces).split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)
        guard let prefixes = PrefixMode(rawValue: value(.prefixes).lowercased()) else {
            throw fail(.prefixes, "must be route, local, addresses or off")
        }
        config.plan = PlanConfig(scheme: scheme, ipv6: try bool(.ipv6), bringUpLinks: try bool(.bringUpLinks),
                                 removalGrace: try integer(.removalGrace, AgentConfig.removalGraceRange), ignored: InterfaceMatcher(ignored),
                                 prefixes: prefixes)
        config.metadata.readsPrefixes = prefixes != .off
        config.cleanupOnStop = try bool(.cleanupOnStop)
        guard let level = Logger.Level(rawValue: value(.logLevel).lowercased()) else {
            throw fail(.logLevel, "must be one of trace, debug, info, notice, warning, error, critical")
        }
        config.logLevel = level
        let stateDir = value(.stateDir)
        guard stateDir.hasPrefix("/") else { throw fail(.stateDir, "must be an absolute path") }
        config.stateDirectory = stateDir
        let metricsFile = value(.metricsFile)
        if !metricsFile.isEmpty {
            guard metricsFile.hasPrefix("/") else { throw fail(.metricsFile, "must be an absolute path (or empty: no metrics)") }
            // node_exporter's textfile collector reads only *.prom files.
            guard metricsFile.hasSuffix(".prom"), metricsFile.split(separator: "/").last != ".prom" else {
                throw fail(.metricsFile, "must name a file ending in .prom, the only files node_exporter's textfile collector reads")
            }
            config.metricsFile = metricsFile
        }
        return config
    }
}


extension Setting {
    /// The swift-configuration key whose environment encoding is `name`.
    var key: ConfigKey { ConfigKey(["eni_agent", rawValue.lowercased()]) }
}
