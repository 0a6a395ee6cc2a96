// SPDX-License-Identifier: Apache-2.0
import Logging

/// The native journald entry for one log event, as `FIELD=value` strings: what
/// `sd_journal_sendv` takes, one iovec each. Pure, so the mapping that `journalctl` queries
/// depend on (`eni_id` -> `ENI_ID`) is tested without a journald.
enum JournalFields {
    /// syslog(3) priorities; `trace` has no level of its own below debug.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// Fields this handler writes itself. A metadata key that maps onto one of them is
    /// prefixed instead: a second MESSAGE or PRIORITY value would make the entry ambiguous.
    static let ownFieldNames: Set<String> = [
        "MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "CODE_FILE", "CODE_LINE", "CODE_FUNC",
    ]

    /// journald's limit; longer names are dropped by the server, silently.
    static let maximumNameLength = 64

    /// A metadata key as a journald field name: upper-cased, every character outside
    /// `A-Z 0-9 _` replaced by `_`. journald drops names that start with `_` (those are the
    /// fields only it may set) or with a digit, and we must not collide with our own fields:
    /// such names get an `X_` prefix rather than being lost.
    static func fieldName(forMetadataKey key: String) -> String {
        var name = ""
        name.reserveCapacity(key.utf8.count)
        for scalar in key.unicodeScalars {
            switch scalar {
            case "A"..."Z", "0"..."9", "_":
                name.unicodeScalars.append(scalar)
            case "a"..."z":
                name.unicodeScalars.append(Unicode.Scalar(scalar.value - 0x20)!)
            default:
                name.append("_")
            }
        }
        let first = name.unicodeScalars.first
        if first == nil || first == "_" || ("0"..."9").contains(first!) || ownFieldNames.contains(name) {
            name = "X_" + name
        }
        return String(name.prefix(maximumNameLength))
    }

    /// Every field of one entry, in a stable order: ours first, then metadata sorted by key.
    /// The message and every metadata value may quote outside input (a metadata value, a line of
    /// the configuration): their control characters are escaped (`ShownText`), as on the plain
    /// lines, so that an entry is one line in `journalctl` (whose `-o cat` would print a newline
    /// as a second line of its own), and never "[… blob data]" for an escape sequence.
    static func fields(
        level: Logger.Level,
        message: String,
        identifier: String?,
        file: String,
        function: String,
        line: UInt,
        metadata: Logger.Metadata
    ) -> [String] {
        var fields = [
            "MESSAGE=" + ShownText.escaped(message),
            "PRIORITY=" + String(priority(level)),
        ]
        if let identifier, !identifier.isEmpty {
            fields.append("SYSLOG_IDENTIFIER=" + identifier)
        }
        fields.append("CODE_FILE=" + file)
        fields.append("CODE_LINE=" + String(line))
        fields.append("CODE_FUNC=" + function)
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            fields.append(fieldName(forMetadataKey: key) + "=" + ShownText.escaped(value.renderedText))
        }
        return fields
    }
}

extension Logger.MetadataValue {
    /// The value as text for a journald field or a plain line. Nested values read like Swift
    /// literals without quotes (`[a, b]`, `[k: v]`), with dictionary keys sorted so the same
    /// metadata always renders the same (swift-log's own description follows hash order).
    var renderedText: String {
        switch self {
        case .string(let string):
            string
        case .stringConvertible(let convertible):
            convertible.description
        case .array(let values):
            "[" + values.map(\.renderedText).joined(separator: ", ") + "]"
        case .dictionary(let dictionary) where dictionary.isEmpty:
            "[:]"
        case .dictionary(let dictionary):
            "["
                + dictionary.sorted { $0.key < $1.key }
                .map { $0.key + ": " + $0.value.renderedText }
                .joined(separator: ", ")
                + "]"
        }
    }
}
