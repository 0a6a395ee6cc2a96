// SPDX-License-Identifier: Apache-2.0
import Metadata
import PropertyBased
import Testing

/// `listItems` splits ASCII bodies byte by byte (the fast path a 32-ENI poll takes ~64 times);
/// it must agree with docs/metadata.md's rule as Characters read it, on every input.
@Suite struct ListItemsAgreeWithTheCharacterRule {
    /// docs/metadata.md's rule, written the plain way: strip `[`, `]` and `"`, split on `,` and newlines,
    /// trim whitespace, drop empty items.
    static func reference(_ body: String) -> [String] {
        body.filter { $0 != "[" && $0 != "]" && $0 != "\"" }
            .split(whereSeparator: { $0 == "," || $0.isNewline })
            .map { $0.trimmingWhitespace() }
            .filter { !$0.isEmpty }
    }

    /// Every byte that has a role in the rule, a few that look like one, and address text.
    static let alphabet: [Character] = ["[", "]", "\"", ",", "\n", "\r", "\r\n", "\t", "\u{0B}", "\u{0C}", " ", "\u{1F}",
                                        ":", ".", "/", "1", "9", "a", "f", "x"]

    @Test func onRandomASCIIBodies() async {
        await propertyCheck(count: 1000, input: Gen.int(in: 0...(Self.alphabet.count - 1)).map { Self.alphabet[$0] }.string(of: 0...40)) { body in
            #expect(MetadataParser.listItems(body) == Self.reference(body), "\(Array(body.utf8))")
        }
    }

    @Test func aNonASCIIBodyTakesTheCharacterPath() {
        let body = "[\"10.0.0.1\"\u{2028}\u{00A0}10.0.0.2 ,\u{0085}10.0.0.3]"
        #expect(MetadataParser.listItems(body) == Self.reference(body))
        #expect(MetadataParser.listItems(body) == ["10.0.0.1", "10.0.0.2", "10.0.0.3"])
    }
}

private extension Substring {
    func trimmingWhitespace() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(self[first...last])
    }
}
