import Agent
import ArgumentParser
import FoundationEssentials
import Logging

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what eni-agent manages now: the kernel read fresh, with the state file's ownership and last sync."
    )

    @OptionGroup var common: CommonOptions

    @Flag(help: "Print JSON (stable; documented in README.md).")
    var json = false

    func run() async throws {
        let config = try common.load()
        bootstrapLogging(level: config.logLevel)
        let report: StatusReport
        do {
            report = try await StatusReport.current(config: config)
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
}
