// SPDX-License-Identifier: Apache-2.0
import IMDSSim
import NIOHTTP1
import Testing

/// The two prefix keys in each list form, and the admin API that assigns and unassigns them.
@Suite struct PrefixTests {
    private static let v4Path = macsPath + secondaryMAC + "/ipv4-prefixes"
    private static let v6Path = macsPath + secondaryMAC + "/ipv6-prefixes"

    @Test(arguments: [
        (PrefixListFormat.lines, "192.168.1.32/28\n192.168.1.48/28"),
        (.crlf, "192.168.1.32/28\r\n192.168.1.48/28"),
        (.json, #"["192.168.1.32/28","192.168.1.48/28"]"#),
        (.bracketed, "[192.168.1.32/28,192.168.1.48/28]"),
        (.comma, "192.168.1.32/28,192.168.1.48/28"),
        (.space, "192.168.1.32/28 192.168.1.48/28"),
    ])
    func eachListFormatIsServed(format: PrefixListFormat, body: String) async throws {
        var state = SimState.sample
        state.prefixListFormat = format
        try await withSimulator(state) { _, endpoint in
            let answer = try await fetch(endpoint, Self.v4Path)
            #expect(answer.status == 200)
            #expect(answer.text == body)
        }
    }

    @Test func theFormatIsPartOfTheStateDocument() async throws {
        try await withSimulator { _, endpoint in
            let state = try decode(SimState.self, try await fetch(endpoint, "/_sim/state"))
            #expect(state.prefixListFormat == .lines)
            var changed = state
            changed.prefixListFormat = .json
            #expect(try await fetch(endpoint, "/_sim/state", method: .PUT, body: try encode(changed)).status == 204)
            #expect(try await fetch(endpoint, Self.v6Path).text == #"["2408:4005:3a4:ab00:1::/80","2408:4005:3a4:ab00:2::/80"]"#)
        }
    }

    @Test func postingToPrefixesAddsAndRemovesEachToItsFamily() async throws {
        try await withSimulator { _, endpoint in
            let body = #"{"add": ["192.168.1.64/28", "2408:4005:3a4:ab00:3::/80"], "remove": ["192.168.1.32/28", "2408:4005:3a4:ab00:1::/80"]}"#
            let post = try await fetch(endpoint, "/_sim/enis/\(secondaryMAC)/prefixes", method: .POST, body: body)
            #expect(post.status == 204)
            #expect(try await fetch(endpoint, Self.v4Path).text == "192.168.1.48/28\n192.168.1.64/28")
            #expect(try await fetch(endpoint, Self.v6Path).text == "2408:4005:3a4:ab00:2::/80\n2408:4005:3a4:ab00:3::/80")
            let removeAll = #"{"remove": ["192.168.1.48/28", "192.168.1.64/28"]}"#
            #expect(try await fetch(endpoint, "/_sim/enis/\(secondaryMAC)/prefixes", method: .POST, body: removeAll).status == 204)
            let empty = try await fetch(endpoint, Self.v4Path)
            #expect(empty.status == 200 && empty.text == "")
        }
    }

    @Test func postingToAnUnknownENIIsA404AndAnotherMethodA405() async throws {
        try await withSimulator { _, endpoint in
            let unknown = try await fetch(endpoint, "/_sim/enis/00:16:3e:00:00:0f/prefixes", method: .POST, body: #"{"add": []}"#)
            #expect(unknown.status == 404)
            let put = try await fetch(endpoint, "/_sim/enis/\(secondaryMAC)/prefixes", method: .PUT, body: "{}")
            #expect(put.status == 405)
        }
    }
}
