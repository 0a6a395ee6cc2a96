// SPDX-License-Identifier: Apache-2.0
import Agent
import ArgumentParser
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import Logging

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what eni-agent manages now: the kernel read fresh, with the state file's ownership and last sync."
    )

    @OptionGroup var common: CommonOptions

    @Flag(help: "Print JSON (stable; documented in README.md).")
    var json = false

    func run() async throws {
        let config = try common.load(for: .status)
        bootstrapLogging(level: config.logLevel)
        let (state, stateError) = try readStateFile(config)
        let report: StatusReport
        do {
            report = try await StatusReport.current(config: config, state: state, stateError: stateError)
        } catch {
            Logger(label: "eni-agent").error("cannot read the kernel's network state: \(error)")
            throw ExitCode(ExitStatus.failure)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.text)
        }
    }

    /// The state file, read once: what validated, or why it could not be read at all. Without
    /// it the report would call every address the agent made foreign: a file this user may not
    /// read is an error (exit 77), and a damaged one is said to be (the report shows what
    /// validated). Any other failure to read it is shown in the report, with ownership from
    /// kernel marks only.
    private func readStateFile(_ config: AgentConfig) throws -> (PersistedState?, String?) {
        let store = StateStore(directory: config.stateDirectory)
        let logger = Logger(label: "eni-agent")
        do {
            guard let file = try store.read() else { return (nil, nil) }
            if !file.problems.isEmpty {
                logger.warning("state file \(store.path) is damaged (\(file.problems.prefix(3).joined(separator: "; "))); showing what validated")
            }
            return (file.state, nil)
        } catch where error.errno == EACCES || error.errno == EPERM {
            logger.error("cannot read the state file \(store.path): permission denied: run as root (sudo eni-agent status)")
            throw ExitCode(ExitStatus.noPermission)
        } catch {
            return (nil, "\(error)")
        }
    }
}
