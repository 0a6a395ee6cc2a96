// SPDX-License-Identifier: Apache-2.0
import Settings
import Testing

/// The configuration file's lines (docs/design.md §6), as editors on every platform save them.
@Suite struct EnvironmentFileTests {
    static let path = "/etc/eni-agent/eni-agent.env"

    /// A CRLF file whose first line is a comment was one Character-split line, a comment: the
    /// whole file silently ignored.
    @Test func aCRLFFileIsReadLineByLine() throws {
        let values = try EnvironmentFile.parse("# comment\r\nENI_AGENT_IPV6=false\r\nENI_AGENT_LOG_LEVEL=debug\r\n", path: Self.path)
        #expect(values == ["ENI_AGENT_IPV6": "false", "ENI_AGENT_LOG_LEVEL": "debug"])
    }

    @Test func aByteOrderMarkAndMixedLineEndingsAreFine() throws {
        let values = try EnvironmentFile.parse("\u{FEFF}# from Notepad\r\n\r\n  ENI_AGENT_IPV6 = false \nENI_AGENT_REMOVAL_GRACE=3", path: Self.path)
        #expect(values == ["ENI_AGENT_IPV6": "false", "ENI_AGENT_REMOVAL_GRACE": "3"])
    }

    @Test func theLastLineForAKeyWins() throws {
        #expect(try EnvironmentFile.parse("ENI_AGENT_IPV6=true\nENI_AGENT_IPV6=false\n", path: Self.path) == ["ENI_AGENT_IPV6": "false"])
    }

    /// Each mistake names the file and line; CRLF does not shift the line numbers.
    @Test(arguments: [
        ("# a\r\nnot a setting\r\n", ":2", "not a KEY=value line"),
        ("ENI_AGENT_IPV6\n", ":1", "not a KEY=value line"),
        ("\r\n\r\nENI_AGENT_NOPE=1\r\n", ":3 ENI_AGENT_NOPE", "unknown key"),
        ("ENI_AGENT_LOG_LEVEL=\"debug\"", ":1 ENI_AGENT_LOG_LEVEL", "quotes"),
        ("export ENI_AGENT_IPV6=true", ":1 export ENI_AGENT_IPV6", "unknown key"),
        // A combining mark after the newline makes "\n\u{301}" one Character.
        ("ENI_AGENT_IPV6=false\n\u{301}ENI_AGENT_NOPE=1", ":2", "unknown key"),
    ])
    func aBadLineIsAnErrorNamingIt(text: String, at: String, problem: String) {
        #expect {
            try EnvironmentFile.parse(text, path: Self.path)
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix(Self.path + at) && text.contains(problem)
        }
    }

    /// Found by the fuzzer (env-file): the key of an unknown-key error is the file's own text,
    /// and a NUL or an escape in it made the journal show the message as a blob.
    @Test func anErrorShowsTheFilesTextWithControlCharactersEscaped() {
        #expect {
            try EnvironmentFile.parse("ENI\0AGENT_IPV6\u{1B}=false", path: Self.path)
        } throws: { error in
            let text = "\(error)"
            return text.contains("ENI\\0AGENT_IPV6\\u{1B}") && !text.unicodeScalars.contains { $0.properties.generalCategory == .control }
        }
    }
}
