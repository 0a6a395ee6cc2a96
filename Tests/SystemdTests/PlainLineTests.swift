// SPDX-License-Identifier: Apache-2.0
import Logging
import Testing

@testable import Systemd

@Suite("Plain stderr lines")
struct PlainLineTests {
    @Test("A line is level, message, then metadata sorted by key")
    func layout() {
        let line = PlainLine.format(
            level: .notice,
            message: "added 192.168.1.202/24 on eth1 (eni-abc)",
            metadata: ["ifname": "eth1", "action": "add", "eni_id": "eni-abc"]
        )
        #expect(line == "notice: added 192.168.1.202/24 on eth1 (eni-abc) action=add eni_id=eni-abc ifname=eth1\n")
    }

    @Test("Without metadata the line is just level and message")
    func noMetadata() {
        #expect(PlainLine.format(level: .warning, message: "IMDS slow", metadata: [:]) == "warning: IMDS slow\n")
    }

    @Test("Values with spaces, quotes, equals signs or backslashes are quoted and escaped", arguments: [
        ("two words", #""two words""#),
        (#"say "hi""#, #""say \"hi\"""#),
        ("a=b", #""a=b""#),
        (#"C:\dir"#, #""C:\\dir""#),
        ("", #""""#),
        ("plain-value_1.2", "plain-value_1.2"),
    ])
    func quoting(value: String, rendered: String) {
        #expect(PlainLine.format(level: .info, message: "m", metadata: ["k": .string(value)]) == "info: m k=\(rendered)\n")
    }

    @Test("Newlines and other control characters never break the line")
    func controlsAreEscaped() {
        let line = PlainLine.format(
            level: .error,
            message: "bad value\nnotice: forged line",
            metadata: ["value": "x\ny\tz\u{1B}[31m", "key\nname": "v"]
        )
        #expect(line == #"error: bad value\nnotice: forged line key\nname=v value="x\ny\tz\u{1B}[31m""# + "\n")
        #expect(line.filter { $0 == "\n" }.count == 1)
    }

    @Test("Nested metadata is rendered as text and quoted as one value")
    func nestedMetadata() {
        let line = PlainLine.format(level: .debug, message: "cycle", metadata: ["ips": ["10.0.0.1", "10.0.0.2"]])
        #expect(line == #"debug: cycle ips="[10.0.0.1, 10.0.0.2]""# + "\n")
    }

    @Test("Every level is written by its swift-log name", arguments: Logger.Level.allCases)
    func levelNames(level: Logger.Level) {
        #expect(PlainLine.format(level: level, message: "m", metadata: [:]) == "\(level.rawValue): m\n")
    }
}
