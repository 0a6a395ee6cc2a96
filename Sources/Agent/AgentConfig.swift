// SPDX-License-Identifier: Apache-2.0
public import Logging
public import Metadata
public import Reconcile

/// Everything the agent runs with; the CLI builds it from flags, environment and file
/// (`eni-agent` owns the parsing, so that a reload can build a new one the same way).
public struct AgentConfig: Sendable {
    public var metadata: MetadataConfiguration
    public var plan: PlanConfig
    /// Time between metadata polls in the daemon (±10 % jitter).
    public var pollInterval: Duration
    /// The daemon reports READY after its first complete sync, or after this long at the latest.
    public var readyTimeout: Duration
    public var stateDirectory: String
    /// Remove everything the agent owns when the daemon stops (default: leave the kernel as is).
    public var cleanupOnStop: Bool
    public var logLevel: Logger.Level
    /// The daemon writes its metrics there (node_exporter's textfile format); nil: no metrics.
    public var metricsFile: String?

    public init(metadata: MetadataConfiguration = MetadataConfiguration(), plan: PlanConfig = PlanConfig(),
                pollInterval: Duration = .seconds(10), readyTimeout: Duration = .seconds(30),
                stateDirectory: String = "/run/eni-agent", cleanupOnStop: Bool = false, logLevel: Logger.Level = .info,
                metricsFile: String? = nil) {
        self.metadata = metadata
        self.plan = plan
        self.pollInterval = pollInterval
        self.readyTimeout = readyTimeout
        self.stateDirectory = stateDirectory
        self.cleanupOnStop = cleanupOnStop
        self.logLevel = logLevel
        self.metricsFile = metricsFile
    }

    public var stateFile: String { stateDirectory + "/state.json" }

    /// `ENI_AGENT_REMOVAL_GRACE`'s range.
    public static let removalGraceRange = 1...1000
    /// A removal count in the state file: the planner counts to one past the grace at most.
    static var removalCountRange: ClosedRange<Int> { 1...(removalGraceRange.upperBound + 1) }
}
