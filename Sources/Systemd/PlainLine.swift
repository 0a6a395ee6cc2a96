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
        var line = level.rawValue + ": " + escapedControls(message)
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            line += " " + escapedControls(key) + "=" + quotedIfNeeded(value.renderedText)
        }
        return line + "\n"
    }

    /// A value that would not read back as one token is quoted: empty, or containing a space,
    /// `"`, `=`, a backslash or a control character.
    static func quotedIfNeeded(_ value: String) -> String {
        let needsQuotes =
            value.isEmpty
            || value.unicodeScalars.contains { $0 == " " || $0 == "\"" || $0 == "=" || $0 == "\\" || isControl($0) }
        guard needsQuotes else { return value }
        var quoted = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            default: quoted += escaped(scalar)
            }
        }
        return quoted + "\""
    }

    /// Control characters as C-style escapes; everything else as it is.
    static func escapedControls(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            result += escaped(scalar)
        }
        return result
    }

    private static func escaped(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        case _ where isControl(scalar):
            let hex = String(scalar.value, radix: 16, uppercase: true)
            return "\\x" + (hex.count < 2 ? "0" + hex : hex)
        default: return String(scalar)
        }
    }

    /// C0 controls and DEL, plus the C1 range and the Unicode line/paragraph separators, which
    /// some terminals and log viewers treat as line breaks.
    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
    }
}
