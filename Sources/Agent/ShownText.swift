// SPDX-License-Identifier: Apache-2.0
/// Text from outside (a configuration line, a state file, metadata) as a message shows it: at
/// most `limit` characters, control characters escaped. journalctl shows a message holding one
/// as "[… blob data]", and a terminal may act on an escape sequence.
public enum ShownText {
    public static func of(_ text: some StringProtocol, limit: Int = 200) -> String {
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count == limit { return out + "…" }
            out += scalar.properties.generalCategory == .control ? scalar.escaped(asASCII: true) : String(scalar)
            count += 1
        }
        return out
    }
}
