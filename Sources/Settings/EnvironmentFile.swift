// SPDX-License-Identifier: Apache-2.0
/// The configuration file: `KEY=value` lines, `#` comments, blank lines (docs/design.md §6).
///
/// Read here rather than by swift-configuration's environment-file provider, which skips lines it
/// cannot parse and splits lines on the `Character` "\n": a file saved with CRLF line endings is
/// then one line, and when it starts with a comment the whole file is silently a comment. An
/// operator's typo must never fall back to a default, so every line either sets a known key or
/// is an error naming the line.
public enum EnvironmentFile {
    private typealias Scalars = Substring.UnicodeScalarView

    /// The values the file sets, by environment name (a key set twice: the last line wins, as
    /// with systemd's `EnvironmentFile=`). Accepts LF and CRLF line endings and a leading UTF-8
    /// byte-order mark (Windows editors write both).
    public static func parse(_ text: String, path: String) throws(ConfigError) -> [String: String] {
        var values: [String: String] = [:]
        // Unicode scalars throughout, not Characters: "\r\n" is one Character, and so is "\n" or
        // "=" followed by a combining mark.
        var scalars = Substring(text).unicodeScalars
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        for (number, raw) in scalars.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = raw
            if line.last == "\r" { line.removeLast() }
            line = trimmed(line)
            if line.isEmpty || line.first == "#" { continue }
            let at = "\(path):\(number + 1)"
            guard let eq = line.firstIndex(of: "=") else {
                throw ConfigError(key: at, value: String(line), problem: "not a KEY=value line")
            }
            let key = String(trimmed(line[..<eq]))
            let value = String(trimmed(line[line.index(after: eq)...]))
            guard let setting = Setting(name: key) else {
                throw ConfigError(key: "\(at) \(key)", value: value, problem: "unknown key (\(Setting.known))")
            }
            if value.hasPrefix("\"") || value.hasPrefix("'") {
                throw ConfigError(key: "\(at) \(key)", value: value, problem: "quotes are not supported: write \(key)=value")
            }
            values[setting.name] = value
        }
        return values
    }

    /// Without leading and trailing spaces and tabs.
    private static func trimmed(_ s: Scalars.SubSequence) -> Scalars.SubSequence {
        var s = s
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return s
    }
}
