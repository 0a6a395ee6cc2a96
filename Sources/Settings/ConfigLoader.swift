import Agent
import Configuration
import FoundationEssentials
import Logging
import Metadata
import Model
import Reconcile
import SystemPackage

/// Every configuration key, its default and what it means: the single list that the loader,
/// the unknown-key check, `--help` and the sample file agree on.
enum Setting: String, CaseIterable {
    case imdsEndpoint = "IMDS_ENDPOINT"
    case imdsToken = "IMDS_TOKEN"
    case imdsTokenTTL = "IMDS_TOKEN_TTL"
    case imdsTimeout = "IMDS_TIMEOUT"
    case pollInterval = "POLL_INTERVAL"
    case readyTimeout = "READY_TIMEOUT"
    case removalGrace = "REMOVAL_GRACE"
    case ipv6 = "IPV6"
    case bringUpLinks = "BRING_UP_LINKS"
    case ignoreInterfaces = "IGNORE_INTERFACES"
    case subnetTableBase = "SUBNET_TABLE_BASE"
    case suppressPriority = "SUPPRESS_PRIORITY"
    case defaultTableBase = "DEFAULT_TABLE_BASE"
    case cleanupOnStop = "CLEANUP_ON_STOP"
    case logLevel = "LOG_LEVEL"
    case stateDir = "STATE_DIR"

    static let prefix = "ENI_AGENT_"

    var name: String { Self.prefix + rawValue }

    /// The swift-configuration key whose environment encoding is `name`.
    var key: ConfigKey { ConfigKey(["eni_agent", rawValue.lowercased()]) }

    /// The value a key has when nothing sets it: the typed configurations' own defaults,
    /// written as a user would write them.
    var defaultValue: String {
        let agent = AgentConfig()
        let metadata = agent.metadata
        switch self {
        case .imdsEndpoint: return "http://\(metadata.host)" + (metadata.port == 80 ? "" : ":\(metadata.port)")
        case .imdsToken: return metadata.tokenMode.rawValue
        case .imdsTokenTTL: return "\(metadata.tokenTTL)"
        case .imdsTimeout: return formatDuration(metadata.requestTimeout)
        case .pollInterval: return formatDuration(agent.pollInterval)
        case .readyTimeout: return formatDuration(agent.readyTimeout)
        case .removalGrace: return "\(agent.plan.removalGrace)"
        case .ipv6: return "\(agent.plan.ipv6)"
        case .bringUpLinks: return "\(agent.plan.bringUpLinks)"
        case .ignoreInterfaces: return agent.plan.ignored.patterns.joined(separator: ",")
        case .subnetTableBase: return "\(agent.plan.scheme.subnetBase)"
        case .suppressPriority: return "\(agent.plan.scheme.suppressPriority)"
        case .defaultTableBase: return "\(agent.plan.scheme.defaultBase)"
        case .cleanupOnStop: return "\(agent.cleanupOnStop)"
        case .logLevel: return agent.logLevel.rawValue
        case .stateDir: return agent.stateDirectory
        }
    }
}

/// A configuration problem, named by key and value: `--sync` exits 78 with it, a reload keeps
/// the old configuration and logs it.
struct ConfigError: Error, CustomStringConvertible {
    var key: String
    var value: String?
    var problem: String

    var description: String {
        if let value { return "\(key)=\(value.prefix(200)): \(problem)" }
        return "\(key): \(problem)"
    }
}

/// Builds an `AgentConfig` from flags > environment > file > defaults (docs/design.md §6).
struct ConfigLoader {
    var filePath: String
    /// The path was given with --config: then a missing file is an error.
    var fileExplicit: Bool
    var flags: [Setting: String]
    var environment: [String: String]

    func load() async throws(ConfigError) -> AgentConfig {
        for name in environment.keys.sorted() where name.hasPrefix(Setting.prefix) && Setting(rawValue: String(name.dropFirst(Setting.prefix.count))) == nil {
            throw ConfigError(key: name, value: environment[name], problem: "unknown key in the environment (known: \(Setting.allCases.map(\.name).joined(separator: ", ")))")
        }
        let fileText = try readConfigFile()
        var fileHasKeys = false
        if let fileText { fileHasKeys = try EnvironmentFileLint.check(fileText, path: filePath) }

        var providers: [any ConfigProvider] = []
        let flagValues = Dictionary(uniqueKeysWithValues: flags.map { (AbsoluteConfigKey($0.key.key), ConfigValue(.string($0.value), isSecret: false)) })
        providers.append(InMemoryProvider(name: "flags", values: flagValues))
        providers.append(EnvironmentVariablesProvider(environmentVariables: environment.filter { $0.key.hasPrefix(Setting.prefix) }))
        if fileHasKeys {
            do {
                providers.append(try await EnvironmentVariablesProvider(environmentFilePath: FilePath(filePath), allowMissing: false))
            } catch {
                throw ConfigError(key: filePath, value: nil, problem: "cannot read: \(error)")
            }
        }
        let reader = ConfigReader(providers: providers)
        func value(_ setting: Setting) -> String { reader.string(forKey: setting.key) ?? setting.defaultValue }
        return try Self.build(value)
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
    static func build(_ value: (Setting) -> String) throws(ConfigError) -> AgentConfig {
        func fail(_ s: Setting, _ problem: String) -> ConfigError { ConfigError(key: s.name, value: value(s), problem: problem) }
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
            guard let d = parseDuration(value(s)), range.contains(d) else {
                throw fail(s, "not a duration between \(range.lowerBound) and \(range.upperBound) (write 10s, 500ms, 2m)")
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
        config.plan = PlanConfig(scheme: scheme, ipv6: try bool(.ipv6), bringUpLinks: try bool(.bringUpLinks),
                                 removalGrace: try integer(.removalGrace, 1...1000), ignored: InterfaceMatcher(ignored))
        config.cleanupOnStop = try bool(.cleanupOnStop)
        guard let level = Logger.Level(rawValue: value(.logLevel).lowercased()) else {
            throw fail(.logLevel, "must be one of trace, debug, info, notice, warning, error, critical")
        }
        config.logLevel = level
        let stateDir = value(.stateDir)
        guard stateDir.hasPrefix("/"), !stateDir.contains("\0") else { throw fail(.stateDir, "must be an absolute path") }
        config.stateDirectory = stateDir
        return config
    }
}

/// `10s`, `500ms`, `2m`, `1h`, or a plain number of seconds.
func parseDuration(_ text: String) -> Duration? {
    let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
    for (suffix, millis) in units where text.hasSuffix(suffix) {
        let number = text.dropLast(suffix.count)
        if suffix == "s", number.hasSuffix("m") { continue }
        guard let n = Int64(number), n >= 0 else { return nil }
        return .milliseconds(n * millis)
    }
    guard let n = Int64(text), n >= 0 else { return nil }
    return .seconds(n)
}

/// The shortest form `parseDuration` reads back as `duration` (whole milliseconds).
func formatDuration(_ duration: Duration) -> String {
    let millis = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    for (suffix, unit) in [("h", Int64(3_600_000)), ("m", 60_000), ("s", 1000)] where millis != 0 && millis % unit == 0 {
        return "\(millis / unit)\(suffix)"
    }
    return "\(millis)ms"
}

/// The file is read by swift-configuration's environment-file provider, which skips lines it
/// cannot parse; an operator's typo must not silently fall back to a default, so every line is
/// checked first.
enum EnvironmentFileLint {
    /// Returns whether the file sets any key.
    @discardableResult
    static func check(_ text: String, path: String) throws(ConfigError) -> Bool {
        var keys = 0
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.drop { $0 == " " || $0 == "\t" }
            if line.isEmpty || line.hasPrefix("#") || line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { continue }
            let at = "\(path):\(number + 1)"
            guard let eq = line.firstIndex(of: "=") else {
                throw ConfigError(key: at, value: String(line), problem: "not a KEY=value line")
            }
            let key = line[..<eq].trimmingSuffix(" \t")
            let value = line[line.index(after: eq)...].trimmingSuffix(" \t\r").drop { $0 == " " || $0 == "\t" }
            guard key.hasPrefix(Setting.prefix), Setting(rawValue: String(key.dropFirst(Setting.prefix.count))) != nil else {
                throw ConfigError(key: "\(at) \(key)", value: String(value), problem: "unknown key (known: \(Setting.allCases.map(\.name).joined(separator: ", ")))")
            }
            if value.first == "\"" || value.first == "'" {
                throw ConfigError(key: "\(at) \(key)", value: String(value), problem: "quotes are not supported: write \(key)=value")
            }
            keys += 1
        }
        return keys > 0
    }
}

extension Substring {
    func trimmingSuffix(_ characters: String) -> Substring {
        var s = self
        while let c = s.last, characters.contains(c) { s = s.dropLast() }
        return s
    }
}
