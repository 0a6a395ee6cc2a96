import Agent
import ArgumentParser
import FoundationEssentials
import Logging
import Settings
import Systemd

/// Options every subcommand shares.
struct CommonOptions: ParsableArguments {
    @Option(help: "Environment file with ENI_AGENT_* keys (default /etc/eni-agent/eni-agent.env, optional).")
    var config: String?

    @Option(help: "Instance metadata endpoint, e.g. http://100.100.100.200 (ENI_AGENT_IMDS_ENDPOINT).")
    var imdsEndpoint: String?

    @Option(help: "trace, debug, info, notice, warning or error (ENI_AGENT_LOG_LEVEL).")
    var logLevel: String?

    static let defaultConfigPath = "/etc/eni-agent/eni-agent.env"

    /// Flags > environment > file > defaults (docs/design.md §6): at start-up and again on
    /// every SIGHUP.
    var loader: ConfigLoader {
        var flags: [Setting: String] = [:]
        if let imdsEndpoint { flags[.imdsEndpoint] = imdsEndpoint }
        if let logLevel { flags[.logLevel] = logLevel }
        return ConfigLoader(filePath: config ?? Self.defaultConfigPath, fileExplicit: config != nil, flags: flags,
                            environment: ProcessInfo.processInfo.environment)
    }

    /// Loads the configuration, or exits 78 naming the key and value.
    func load() throws -> AgentConfig {
        do {
            return try loader.load()
        } catch {
            bootstrapLogging(level: .info)
            Logger(label: "eni-agent").error("bad configuration: \(error)")
            throw ExitCode(ExitStatus.config)
        }
    }
}

@main
struct ENIAgent: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eni-agent",
        abstract: "Makes the secondary private IPv4/IPv6 addresses of Alibaba Cloud ENIs work inside Linux.",
        discussion: """
            Without a subcommand: the daemon (systemd Type=notify), or with --sync one convergence.
            Exit codes of --sync: 0 converged; 1 some operations failed; 69 metadata unavailable \
            or incomplete (nothing removed); 77 missing CAP_NET_ADMIN; 78 bad configuration; 64 usage.
            """,
        version: ENIAgentVersion.string,
        subcommands: [Run.self, Status.self],
        defaultSubcommand: Run.self
    )
}

enum ENIAgentVersion {
    static let string = "0.1.0"
}

extension ExitCode {
    init(_ code: Int32) { self.init(rawValue: code) }
}

func bootstrapLogging(level: Logger.Level) {
    LoggingBootstrap.once(level: level)
}

/// LoggingSystem.bootstrap may run once per process; configuration errors log before the
/// real level is known.
enum LoggingBootstrap {
    nonisolated(unsafe) private static var done = false
    static func once(level: Logger.Level) {
        guard !done else { return }
        done = true
        LoggingSystemBootstrap.bootstrap(level: level, identifier: "eni-agent")
    }
}
