// SPDX-License-Identifier: Apache-2.0
import Agent
import Logging
import Metadata
import Reconcile

/// Every configuration key, its default and what it means: the single list that the loader,
/// the unknown-key check, `--help` and the sample file agree on.
public enum Setting: String, CaseIterable, Sendable {
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
    case prefixes = "PREFIXES"
    case subnetTableBase = "SUBNET_TABLE_BASE"
    case suppressPriority = "SUPPRESS_PRIORITY"
    case defaultTableBase = "DEFAULT_TABLE_BASE"
    case cleanupOnStop = "CLEANUP_ON_STOP"
    case logLevel = "LOG_LEVEL"
    case stateDir = "STATE_DIR"
    case metricsFile = "METRICS_FILE"

    public static let prefix = "ENI_AGENT_"

    public var name: String { Self.prefix + rawValue }

    /// The setting whose environment name is `name`, if any.
    public init?(name: some StringProtocol) {
        guard name.hasPrefix(Self.prefix) else { return nil }
        self.init(rawValue: String(name.dropFirst(Self.prefix.count)))
    }

    /// "known: ENI_AGENT_…, …", for errors about an unknown key.
    static var known: String { "known: \(allCases.map(\.name).joined(separator: ", "))" }

    /// The value a key has when nothing sets it: the typed configurations' own defaults,
    /// written as a user would write them.
    public var defaultValue: String {
        let agent = AgentConfig()
        let metadata = agent.metadata
        switch self {
        case .imdsEndpoint: return "http://\(metadata.host)" + (metadata.port == 80 ? "" : ":\(metadata.port)")
        case .imdsToken: return metadata.tokenMode.rawValue
        case .imdsTokenTTL: return "\(metadata.tokenTTL)"
        case .imdsTimeout: return DurationText.format(metadata.requestTimeout)
        case .pollInterval: return DurationText.format(agent.pollInterval)
        case .readyTimeout: return DurationText.format(agent.readyTimeout)
        case .removalGrace: return "\(agent.plan.removalGrace)"
        case .ipv6: return "\(agent.plan.ipv6)"
        case .bringUpLinks: return "\(agent.plan.bringUpLinks)"
        case .ignoreInterfaces: return agent.plan.ignored.patterns.joined(separator: ",")
        case .prefixes: return agent.plan.prefixes.rawValue
        case .subnetTableBase: return "\(agent.plan.scheme.subnetBase)"
        case .suppressPriority: return "\(agent.plan.scheme.suppressPriority)"
        case .defaultTableBase: return "\(agent.plan.scheme.defaultBase)"
        case .cleanupOnStop: return "\(agent.cleanupOnStop)"
        case .logLevel: return agent.logLevel.rawValue
        case .stateDir: return agent.stateDirectory
        case .metricsFile: return agent.metricsFile ?? ""
        }
    }
}
