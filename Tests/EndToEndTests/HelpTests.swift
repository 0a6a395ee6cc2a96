// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
import TestSupport

/// `eni-agent --help` and the shell completions the packages install: what a user types, run
/// as the built binary. No root needed.
@Suite struct HelpTests {
    static var agent: String { BuildProducts.path("eni-agent") }

    /// The lines of README.md's "Command line" block.
    static func readmeCommandLines() throws -> [String] {
        let readme = try String(contentsOfFile: BuildProducts.packageRoot + "/README.md", encoding: .utf8)
        let section = try #require(readme.range(of: "## Command line\n\n```\n"), "README.md has no Command line block")
        let end = try #require(readme.range(of: "\n```", range: section.upperBound..<readme.endIndex))
        return readme[section.upperBound..<end.lowerBound].split(separator: "\n").map(String.init)
    }

    @Test func theHelpExamplesAreTheReadmeCommandLineBlock() throws {
        let help = try Command.run([Self.agent, "--help"])
        #expect(help.status == 0, "\(help)")
        let lines = help.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start = try #require(lines.firstIndex { $0.trimmingCharacters(in: .whitespaces) == "Examples:" },
                                 "no Examples: in --help: \(help.stdout)")
        let examples = lines[(start + 1)...].prefix { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(examples == (try Self.readmeCommandLines()), "--help:\n\(help.stdout)")
    }

    /// Each shell's script names the subcommand and the flags, so that they complete.
    @Test(arguments: ["bash", "zsh", "fish"])
    func aCompletionScriptCompletesTheCommandLine(shell: String) throws {
        let script = try Command.run([Self.agent, "--generate-completion-script", shell])
        #expect(script.status == 0, "\(script)")
        for word in ["status", "sync", "dry-run", "json", "imds-endpoint", "log-level"] {
            #expect(script.stdout.contains(word), "the \(shell) completion lacks \(word)")
        }
    }
}
