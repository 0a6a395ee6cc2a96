// SPDX-License-Identifier: Apache-2.0
/// Text from outside (a metadata value, a configuration line, the state file) as a log line or a
/// message shows it: control characters escaped as Swift writes them (`\n`, `\t`, `\u{1B}`), so
/// that one event stays one line, a terminal acts on no escape sequence, and journalctl shows the
/// text rather than "[… blob data]". The one escaping every module uses: the journal's fields,
/// the plain lines on stderr, and the messages that quote outside input.
public enum ShownText {
    /// At most `limit` characters (then "…"), control characters escaped.
    public static func of(_ text: some StringProtocol, limit: Int = 200) -> String {
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count == limit { return out + "…" }
            out += shown(scalar)
            count += 1
        }
        return out
    }

    /// The whole text, control characters escaped.
    public static func escaped(_ text: some StringProtocol) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return String(text) }
        var out = ""
        for scalar in text.unicodeScalars { out += shown(scalar) }
        return out
    }

    static func shown(_ scalar: Unicode.Scalar) -> String {
        isControl(scalar) ? scalar.escaped(asASCII: true) : String(scalar)
    }

    /// C0 controls, DEL and the C1 range (Unicode's control category), and the line and
    /// paragraph separators, which some terminals and log viewers take for line breaks.
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.generalCategory == .control || scalar.value == 0x2028 || scalar.value == 0x2029
    }
}
