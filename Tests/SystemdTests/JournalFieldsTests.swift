// SPDX-License-Identifier: Apache-2.0
import Logging
import Testing

@testable import Systemd

@Suite("Journald fields")
struct JournalFieldsTests {
    @Test("The agent's metadata keys become the field names journalctl is queried with")
    func agentKeysMapExactly() {
        let names = ["eni_id", "eni_mac", "ifname", "address", "action", "sync_id"].map(JournalFields.fieldName(forMetadataKey:))
        #expect(names == ["ENI_ID", "ENI_MAC", "IFNAME", "ADDRESS", "ACTION", "SYNC_ID"])
    }

    @Test("Characters outside A-Z, 0-9 and _ become underscores", arguments: [
        ("error.message", "ERROR_MESSAGE"),
        ("eni-id", "ENI_ID"),
        ("Mixed Case", "MIXED_CASE"),
        ("café", "CAF_"),
        ("ipv6/prefix", "IPV6_PREFIX"),
    ])
    func namesAreSanitised(key: String, expected: String) {
        #expect(JournalFields.fieldName(forMetadataKey: key) == expected)
    }

    @Test("Names journald would drop or we already use get an X_ prefix", arguments: [
        ("_pid", "X__PID"),
        ("_SYSTEMD_UNIT", "X__SYSTEMD_UNIT"),
        ("2fa", "X_2FA"),
        ("", "X_"),
        ("message", "X_MESSAGE"),
        ("priority", "X_PRIORITY"),
        ("code_line", "X_CODE_LINE"),
        ("syslog_identifier", "X_SYSLOG_IDENTIFIER"),
    ])
    func reservedNamesArePrefixed(key: String, expected: String) {
        #expect(JournalFields.fieldName(forMetadataKey: key) == expected)
    }

    @Test("Names are cut to journald's 64 characters")
    func namesAreTruncated() {
        let name = JournalFields.fieldName(forMetadataKey: String(repeating: "k", count: 100))
        #expect(name == String(repeating: "K", count: 64))
        #expect(JournalFields.fieldName(forMetadataKey: "9" + String(repeating: "a", count: 70)).count == 64)
    }

    @Test("Levels map to syslog priorities", arguments: [
        (Logger.Level.trace, 7), (.debug, 7), (.info, 6), (.notice, 5), (.warning, 4), (.error, 3), (.critical, 2),
    ])
    func priorities(level: Logger.Level, priority: Int) {
        #expect(JournalFields.priority(level) == priority)
        let fields = JournalFields.fields(
            level: level, message: "m", identifier: nil, file: "f", function: "g", line: 1, metadata: [:])
        #expect(fields.contains("PRIORITY=\(priority)"))
    }

    @Test("An entry carries message, priority, identifier, code location, then metadata by key")
    func entryLayout() {
        let fields = JournalFields.fields(
            level: .notice,
            message: "added 192.168.1.202/24 on eth1 (eni-abc)",
            identifier: "eni-agent",
            file: "Agent/Sync.swift",
            function: "apply(_:)",
            line: 42,
            metadata: ["sync_id": "17", "action": "add", "eni_id": "eni-abc", "address": "192.168.1.202/24"]
        )
        #expect(fields == [
            "MESSAGE=added 192.168.1.202/24 on eth1 (eni-abc)",
            "PRIORITY=5",
            "SYSLOG_IDENTIFIER=eni-agent",
            "CODE_FILE=Agent/Sync.swift",
            "CODE_LINE=42",
            "CODE_FUNC=apply(_:)",
            "ACTION=add",
            "ADDRESS=192.168.1.202/24",
            "ENI_ID=eni-abc",
            "SYNC_ID=17",
        ])
    }

    @Test("Without an identifier no SYSLOG_IDENTIFIER is sent, so libsystemd adds the program name")
    func noIdentifier() {
        let fields = JournalFields.fields(
            level: .info, message: "m", identifier: nil, file: "f", function: "g", line: 1, metadata: [:])
        #expect(!fields.contains { $0.hasPrefix("SYSLOG_IDENTIFIER=") })
    }

    @Test("Control characters from outside input are escaped in the message and every value, as on plain lines")
    func controlsAreEscaped() {
        let fields = JournalFields.fields(
            level: .error, message: "bad value \"x\nnotice: forged\u{1B}[2J\"", identifier: nil, file: "f", function: "g", line: 1,
            metadata: ["body": "a\nb\tc\u{7}", "nested": ["k\r": "v\u{0}"], "plain": "ü 10.0.0.1"])
        #expect(fields.contains(#"MESSAGE=bad value "x\nnotice: forged\u{1B}[2J""#), "\(fields)")
        #expect(fields.contains(#"BODY=a\nb\tc\u{07}"#), "\(fields)")
        #expect(fields.contains(#"NESTED=[k\r: v\0]"#), "\(fields)")
        #expect(fields.contains("PLAIN=ü 10.0.0.1"))
        #expect(fields.allSatisfy { !$0.unicodeScalars.contains(where: ShownText.isControl) }, "\(fields)")
    }

    @Test("Nested metadata is flattened to text, dictionary keys sorted")
    func nestedMetadataIsText() {
        let fields = JournalFields.fields(
            level: .info, message: "m", identifier: nil, file: "f", function: "g", line: 1,
            metadata: [
                "addresses": ["10.0.0.1", "10.0.0.2"],
                "eni": ["mac": "00:16:3e:00:00:01", "id": "eni-1", "ips": ["10.0.0.1"]],
                "count": .stringConvertible(3),
                "empty": [:],
                "none": [],
            ])
        #expect(fields.suffix(5) == [
            "ADDRESSES=[10.0.0.1, 10.0.0.2]",
            "COUNT=3",
            "EMPTY=[:]",
            "ENI=[id: eni-1, ips: [10.0.0.1], mac: 00:16:3e:00:00:01]",
            "NONE=[]",
        ])
    }
}
