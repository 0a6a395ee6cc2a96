// SPDX-License-Identifier: Apache-2.0
import Agent
import ArgumentParser
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
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

    /// What the configuration is loaded for: an error message says what happens next.
    enum Role {
        case daemon, sync, status
    }

    /// Loads the configuration, or exits 78 naming the key and value.
    func load(for role: Role) throws -> AgentConfig {
        do {
            return try loader.load()
        } catch {
            throw Self.badConfiguration(error, role)
        }
    }

    /// A state directory the daemon or a `--sync` cannot write is a bad configuration: on a
    /// kernel without address marks the agent would forget what it owns at every restart.
    func checkStateDirectory(_ config: AgentConfig, for role: Role) throws {
        do {
            try StateStore(directory: config.stateDirectory).checkWritable()
        } catch {
            var problem = "cannot keep the state file there: \(error)"
            if SystemdEnvironment.isService {
                problem += "; under the packaged units eni-agent may write only their RuntimeDirectory, /run/eni-agent"
                    + " (ProtectSystem=strict), which is also the only place whose life matches the kernel's"
                    + " configuration (one boot): remove the key"
            }
            throw Self.badConfiguration(ConfigError(key: Setting.stateDir.name, value: config.stateDirectory, problem: problem), role)
        }
    }

    /// A metrics file whose directory does not exist is a typo, a bad configuration at start.
    /// One the sandbox does not let the daemon write is only a warning (MetricsFile): metrics
    /// are no reason to leave the network unmanaged.
    func checkMetricsDirectory(_ config: AgentConfig, for role: Role) throws {
        guard let path = config.metricsFile else { return }
        let directory = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        var info = stat()
        guard stat(directory.isEmpty ? "/" : directory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw Self.badConfiguration(ConfigError(key: Setting.metricsFile.name, value: path,
                                                    problem: "its directory \(directory) does not exist (node_exporter's textfile directory is /var/lib/prometheus/node-exporter)"), role)
        }
    }

    /// Logs the error with what happens next, and gives the exit status (78).
    static func badConfiguration(_ error: ConfigError, _ role: Role) -> ExitCode {
        bootstrapLogging(level: .info)
        let next: String
        switch role {
        case .daemon where SystemdEnvironment.isService:
            // The unit's RestartPreventExitStatus=78: restarting cannot fix a configuration.
            next = "eni-agent stops with exit status 78, and systemd will not restart it until the configuration is fixed"
                + " and the service started again (systemctl restart eni-agent); the kernel keeps its configuration meanwhile"
        case .daemon: next = "eni-agent stops with exit status 78; nothing was changed"
        case .sync: next = "nothing was read or changed (exit status 78)"
        case .status: next = "exit status 78"
        }
        Logger(label: "eni-agent").error("bad configuration: \(error); \(next)")
        return ExitCode(ExitStatus.config)
    }
}

/// Whether systemd started this process as a service: it sets `INVOCATION_ID` for every unit
/// (systemd 232 and later) and `NOTIFY_SOCKET` for `Type=notify` ones.
enum SystemdEnvironment {
    static var isService: Bool {
        let environment = ProcessInfo.processInfo.environment
        return environment["INVOCATION_ID"] != nil || environment["NOTIFY_SOCKET"] != nil
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

            Examples:
            \(examples)
            """,
        version: ENIAgentVersion.string,
        subcommands: [Run.self, Status.self],
        defaultSubcommand: Run.self
    )
}

extension ENIAgent {
    /// Without /proc (a minimal chroot, an early-boot shell) the Swift runtime, which reads the
    /// arguments from /proc/self/cmdline, sees none at all, not even the program's name: parsed
    /// as usual, `eni-agent --version` would run the daemon and start changing the kernel.
    static func main() async {
        guard !CommandLine.arguments.isEmpty else {
            var message = "eni-agent: the command line is empty, without even the program's name: /proc is not mounted"
                + " (the arguments are read from /proc/self/cmdline); nothing was done. Mount it"
                + " (mount -t proc proc /proc) and run the command again.\n"
            message.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
            Self.exit(withError: ExitCode(ExitStatus.usage))
        }
        await main(nil)
    }
}

extension ENIAgent {
    /// The usage examples of `--help`; README.md's "Command line" block is these lines, and a
    /// test (HelpTests) holds the two together.
    static let examples = """
        eni-agent                        the daemon (systemd Type=notify)
        eni-agent --sync                 converge once and exit
        eni-agent --sync --dry-run       print the plan as ip commands, change nothing
        eni-agent --sync [--dry-run] --json   the result (or the plan) as JSON
        eni-agent status [--json]        what is managed now; works without the daemon
        eni-agent --version
        eni-agent --generate-completion-script bash|zsh|fish   a completion script
        common options: --config PATH   --imds-endpoint URL   --log-level LEVEL
        """
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
