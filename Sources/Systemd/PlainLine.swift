// SPDX-License-Identifier: Apache-2.0
import Logging

/// The stderr rendering when journald is not listening natively:
/// `<level>: <message> key=value ...`, exactly one line per event.
///
/// No timestamp: under a service manager the journal (or whatever collects stderr) stamps
/// each line itself, and from a shell `--sync` is short-lived. Escaping keeps one event on one
/// line, so a value read from IMDS cannot forge a second log line.
enum PlainLine {
    static func format(level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
        var line = level.rawValue + ": " + ShownText.escaped(message)
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            line += " " + ShownText.escaped(key) + "=" + quotedIfNeeded(value.renderedText)
        }
        return line + "\n"
    }

    /// A value that would not read back as one token is quoted: empty, or containing a space,
    /// `"`, `=`, a backslash or a control character.
    static func quotedIfNeeded(_ value: String) -> String {
        let needsQuotes =
            value.isEmpty
            || value.unicodeScalars.contains { $0 == " " || $0 == "\"" || $0 == "=" || $0 == "\\" || ShownText.isControl($0) }
        guard needsQuotes else { return value }
        var quoted = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            default: quoted += ShownText.shown(scalar)
            }
        }
        return quoted + "\""
    }
}
