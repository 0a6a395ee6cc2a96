// SPDX-License-Identifier: Apache-2.0
import Agent
import ArgumentParser
import FoundationEssentials
import Logging
import Model
import Reconcile
import Settings

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the daemon (the default), or converge once with --sync."
    )

    @OptionGroup var common: CommonOptions

    @Flag(help: "Converge once and exit with a meaningful code.")
    var sync = false

    @Flag(help: "With --sync: print the plan, change nothing.")
    var dryRun = false

    @Flag(help: "With --sync: print the result (or the plan) as JSON on stdout.")
    var json = false

    func validate() throws {
        if dryRun && !sync { throw ValidationError("--dry-run goes with --sync") }
        if json && !sync { throw ValidationError("--json goes with --sync (or the status subcommand)") }
    }

    func run() async throws {
        let role: CommonOptions.Role = sync ? .sync : .daemon
        let config = try common.load(for: role)
        if !dryRun { try common.checkStateDirectory(config, for: role) }
        if !sync { try common.checkMetricsDirectory(config, for: role) }
        bootstrapLogging(level: config.logLevel)
        let logger = Logger(label: "eni-agent")
        if sync {
            try await runOnce(config: config, logger: logger)
        } else {
            let loader = common.loader
            let stateDirectory = config.stateDirectory
            try await Daemon.run(config: config, logger: logger, version: ENIAgentVersion.string, reload: {
                let fresh = try loader.load()
                // The engine keeps the state file it started with.
                guard fresh.stateDirectory == stateDirectory else {
                    throw ConfigError(key: Setting.stateDir.name, value: fresh.stateDirectory,
                                      problem: "cannot change while eni-agent runs (it keeps \(stateDirectory)): restart it to move the state file")
                }
                return fresh
            })
        }
    }

    private func runOnce(config: AgentConfig, logger: Logger) async throws {
        if !dryRun && !Capabilities.hasNetAdmin() {
            logger.error("eni-agent needs CAP_NET_ADMIN to change addresses, routes and rules: run it as root or grant the capability; nothing was changed")
            throw ExitCode(ExitStatus.noPermission)
        }
        let runtime: AgentRuntime
        do {
            runtime = try AgentRuntime(config: config, logger: logger)
        } catch {
            logger.error("cannot open the kernel's netlink socket: \(error)")
            throw ExitCode(ExitStatus.failure)
        }
        await runtime.engine.restoreState()
        let report = await runtime.engine.sync(from: .metadata, dryRun: dryRun)
        await runtime.shutdown()

        if json {
            print(try SyncOutput(report).json())
        } else if dryRun {
            for planned in report.plan { print("\(planned.op)  # \(planned.reason)") }
            for note in report.notes { print("# \(note.level.rawValue): \(note.message)") }
            if report.plan.isEmpty { print("# nothing to do") }
        }
        switch report.metadata {
        case .unavailable(let reason): logger.warning("metadata unavailable: \(reason); nothing removed")
        case .incomplete(let reasons): logger.warning("metadata incomplete: \(reasons.joined(separator: "; ")); nothing removed")
        case .complete, .cached: break
        }
        let verdict = report.exitCode == 0 ? "converged" : report.exitCode == 69 ? "not converged: metadata incomplete" : "not converged: operations failed"
        logger.info("\(dryRun ? "dry run" : verdict): \(report.summary)")
        if report.exitCode != 0 && !dryRun { throw ExitCode(report.exitCode) }
        if dryRun && report.exitCode == ExitStatus.unavailable { throw ExitCode(report.exitCode) }
    }
}

/// The `--sync --json` document (stable; documented in README.md).
struct SyncOutput: Encodable {
    struct OpOutput: Encodable {
        var command: String
        var action: String
        var reason: String
        var eniId: String?
        var eniMac: String?
        var ifname: String?
        /// planned (dry run), applied, already-in-place, failed
        var outcome: String
        var errno: Int32?
        var error: String?

        enum CodingKeys: String, CodingKey {
            case command, action, reason, eniId, eniMac, ifname, outcome, errno, error
        }

        /// Every field always, `null` when it does not apply: consumers test fields with jq's
        /// `has()` or index them without guarding, and the document's shape must not depend on
        /// whether an op failed or belongs to an ENI.
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(command, forKey: .command)
            try c.encode(action, forKey: .action)
            try c.encode(reason, forKey: .reason)
            try c.encode(eniId, forKey: .eniId)
            try c.encode(eniMac, forKey: .eniMac)
            try c.encode(ifname, forKey: .ifname)
            try c.encode(outcome, forKey: .outcome)
            try c.encode(errno, forKey: .errno)
            try c.encode(error, forKey: .error)
        }
    }
    struct MetadataOutput: Encodable {
        var state: String
        var reasons: [String]
        var requests: Int
    }
    struct NoteOutput: Encodable {
        var level: String
        var message: String
    }

    var syncId: Int
    var dryRun: Bool
    var metadata: MetadataOutput
    var ops: [OpOutput]
    var notes: [NoteOutput]
    var summary: String
    var exitCode: Int32
    /// Milliseconds per phase: metadata, kernelRead, plan, apply, persist.
    var phases: SyncReport.Phases

    init(_ report: SyncReport) {
        syncId = report.id
        dryRun = report.dryRun
        switch report.metadata {
        case .complete: metadata = MetadataOutput(state: "complete", reasons: [], requests: report.metadataRequests)
        case .incomplete(let reasons): metadata = MetadataOutput(state: "incomplete", reasons: reasons, requests: report.metadataRequests)
        case .unavailable(let reason): metadata = MetadataOutput(state: "unavailable", reasons: [reason], requests: report.metadataRequests)
        case .cached: metadata = MetadataOutput(state: "cached", reasons: [], requests: 0)
        }
        ops = report.plan.enumerated().map { i, planned in
            var out = OpOutput(command: planned.op.description, action: ChangeAction.name(planned.op), reason: planned.reason,
                               eniId: planned.eni?.id, eniMac: planned.eni?.mac.description, ifname: planned.eni?.ifname,
                               outcome: "planned")
            if i < report.results.count {
                switch report.results[i].outcome {
                case .applied: out.outcome = "applied"
                case .alreadyInPlace: out.outcome = "already-in-place"
                case .failed(let errno, let message):
                    out.outcome = "failed"
                    out.errno = errno
                    out.error = message
                case .unknown(let errno, let message):
                    out.outcome = "unknown"
                    out.errno = errno
                    out.error = message
                }
            }
            return out
        }
        notes = report.notes.map { NoteOutput(level: $0.level.rawValue, message: $0.message) }
        summary = report.summary
        exitCode = report.exitCode
        phases = report.phases
    }

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
