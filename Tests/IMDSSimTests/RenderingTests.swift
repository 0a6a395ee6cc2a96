// SPDX-License-Identifier: Apache-2.0
import IMDSSim
import NIOHTTP1
import Testing

/// Every key of docs/metadata.md's tables, with the exact body the contract prescribes for `.sample`.
let expectedKeys: [(path: String, body: String)] = [
    ("/latest/meta-data/instance-id", "i-bp1e3fhzdm2hgvz6q7ta"),
    ("/latest/meta-data/region-id", "cn-hangzhou"),
    ("/latest/meta-data/zone-id", "cn-hangzhou-k"),
    ("/latest/meta-data/mac", primaryMAC),
    ("/latest/meta-data/private-ipv4", "192.168.1.201"),
    ("/latest/meta-data/vpc-id", "vpc-bp1qpo0kug3a20qqe2ox5"),
    ("/latest/meta-data/vswitch-id", "vsw-bp1s5fnvk4gn2tws03624"),
    (macsPath, "\(primaryMAC)/\n\(secondaryMAC)/\n\(bareMAC)/"),
    (macsPath + secondaryMAC + "/network-interface-id", "eni-bp1d66qjxb3qoin3ex02"),
    (macsPath + secondaryMAC + "/primary-ip-address", "192.168.1.211"),
    (macsPath + secondaryMAC + "/private-ipv4s", #"["192.168.1.211","192.168.1.212","192.168.1.213"]"#),
    (macsPath + secondaryMAC + "/netmask", "255.255.255.0"),
    (macsPath + secondaryMAC + "/gateway", "192.168.1.253"),
    (macsPath + secondaryMAC + "/vswitch-cidr-block", "192.168.1.0/24"),
    (macsPath + secondaryMAC + "/vpc-cidr-block", "192.168.0.0/16"),
    (macsPath + secondaryMAC + "/vswitch-id", "vsw-bp1s5fnvk4gn2tws03624"),
    (macsPath + secondaryMAC + "/vpc-id", "vpc-bp1qpo0kug3a20qqe2ox5"),
    (macsPath + secondaryMAC + "/ipv6s", "[2408:4005:3a4:ab00::211,2408:4005:3a4:ab00::212]"),
    (macsPath + secondaryMAC + "/ipv6-gateway", "2408:4005:3a4:ab00:ffff:ffff:ffff:fffd"),
    (macsPath + secondaryMAC + "/vswitch-ipv6-cidr-block", "2408:4005:3a4:ab00::/64"),
    (macsPath + secondaryMAC + "/vpc-ipv6-cidr-blocks", "[2408:4005:3a4:ab00::/56,2408:4005:3a4:cd00::/56]"),
    (macsPath + secondaryMAC + "/ipv4-prefixes", "192.168.1.32/28\n192.168.1.48/28"),
    (macsPath + secondaryMAC + "/ipv6-prefixes", "2408:4005:3a4:ab00:1::/80\n2408:4005:3a4:ab00:2::/80"),
]

let perENIKeys = [
    "network-interface-id", "primary-ip-address", "private-ipv4s", "netmask", "gateway",
    "vswitch-cidr-block", "vpc-cidr-block", "vswitch-id", "vpc-id", "ipv6s", "ipv6-gateway",
    "vswitch-ipv6-cidr-block", "vpc-ipv6-cidr-blocks", "ipv4-prefixes", "ipv6-prefixes",
]

@Suite struct RenderingTests {
    @Test("Every SPEC key renders exactly as the contract says", arguments: expectedKeys.map(\.path))
    func keyRendersExactly(path: String) async throws {
        let expected = try #require(expectedKeys.first { $0.path == path }).body
        try await withSimulator { _, endpoint in
            let response = try await fetch(endpoint, path)
            #expect(response.status == 200)
            #expect(response.text == expected)
            #expect(response.contentType == "text/plain")
        }
    }

    @Test("The 2016-01-01 version answers exactly like latest", arguments: expectedKeys.map(\.path))
    func versionAliasIsEquivalent(path: String) async throws {
        try await withSimulator { _, endpoint in
            let latest = try await fetch(endpoint, path)
            let dated = try await fetch(endpoint, "/2016-01-01/" + path.dropFirst("/latest/".count))
            #expect(dated.status == latest.status)
            #expect(dated.text == latest.text)
        }
    }

    @Test("Every per-ENI key of an ENI that has only a MAC is a 404 with an HTML body", arguments: perENIKeys)
    func absentKeyIs404(key: String) async throws {
        try await withSimulator { _, endpoint in
            let response = try await fetch(endpoint, macsPath + bareMAC + "/" + key)
            #expect(response.status == 404)
            #expect(response.contentType == "text/html")
            #expect(response.text.hasPrefix("<html>"))
            #expect(response.text.contains("404 Not Found"))
        }
    }

    @Test("An unknown path is a 404 with an HTML body")
    func unknownPathIs404() async throws {
        try await withSimulator { _, endpoint in
            for path in ["/latest/meta-data/no-such-key", "/latest/user-data", "/nope", macsPath + "00:16:3e:ff:ff:ff/"] {
                let response = try await fetch(endpoint, path)
                #expect(response.status == 404, "\(path)")
                #expect(response.contentType == "text/html", "\(path)")
                #expect(response.text.contains("<html>"), "\(path)")
            }
        }
    }

    @Test("An empty ipv6s list renders [] while an absent one is a 404")
    func emptyIPv6sIsBrackets() async throws {
        var state = SimState.sample
        state.enis[1].ipv6s = []
        state.enis[1].privateIPv4s = []
        state.enis[1].ipv4Prefixes = []
        try await withSimulator(state) { _, endpoint in
            let ipv6s = try await fetch(endpoint, macsPath + secondaryMAC + "/ipv6s")
            let ipv4s = try await fetch(endpoint, macsPath + secondaryMAC + "/private-ipv4s")
            let prefixes = try await fetch(endpoint, macsPath + secondaryMAC + "/ipv4-prefixes")
            let absent = try await fetch(endpoint, macsPath + bareMAC + "/ipv6s")
            #expect(ipv6s.text == "[]")
            #expect(ipv4s.text == "[]")
            #expect(prefixes.status == 200)
            #expect(prefixes.text == "")
            #expect(absent.status == 404)
        }
    }

    @Test("Values are served verbatim, so malformed ones reach the client unchanged")
    func valuesAreVerbatim() async throws {
        var state = SimState.sample
        state.enis[1].privateIPv4s = ["192.168.1.999", "not an address", #"quo"te"#]
        state.enis[1].ipv6s = ["fe80::zz", " 2408:4005:3a4:ab00::211 "]
        try await withSimulator(state) { _, endpoint in
            let ipv4s = try await fetch(endpoint, macsPath + secondaryMAC + "/private-ipv4s")
            let ipv6s = try await fetch(endpoint, macsPath + secondaryMAC + "/ipv6s")
            #expect(ipv4s.text == #"["192.168.1.999","not an address","quo\"te"]"#)
            #expect(ipv6s.text == "[fe80::zz, 2408:4005:3a4:ab00::211 ]")
        }
    }

    @Test("Without a primary ENI the instance-level mac, private-ipv4 and vswitch-id are 404")
    func noPrimaryMeansNoInstanceMAC() async throws {
        var state = SimState.sample
        state.enis[0].primary = false
        try await withSimulator(state) { _, endpoint in
            for key in ["mac", "private-ipv4", "vswitch-id"] {
                let response = try await fetch(endpoint, "/latest/meta-data/" + key)
                #expect(response.status == 404, "\(key)")
            }
            let instanceID = try await fetch(endpoint, "/latest/meta-data/instance-id")
            #expect(instanceID.status == 200)
        }
    }

    @Test("A directory answers the same with or without its trailing slash")
    func directoryWithoutSlash() async throws {
        try await withSimulator { _, endpoint in
            for directory in ["/latest/meta-data/", "/latest/meta-data/network/interfaces/macs/", macsPath + primaryMAC + "/"] {
                let with = try await fetch(endpoint, directory)
                let without = try await fetch(endpoint, String(directory.dropLast()))
                #expect(with.status == 200, "\(directory)")
                #expect(without.status == 200, "\(directory)")
                #expect(with.text == without.text, "\(directory)")
            }
        }
    }

    @Test("An ENI directory lists exactly the keys present for that ENI")
    func eniDirectoryListsPresentKeys() async throws {
        var state = SimState.sample
        state.enis[2].id = "eni-bp1d66qjxb3qoin3ex09"
        state.enis[2].ipv6s = []
        try await withSimulator(state) { _, endpoint in
            let bare = try await fetch(endpoint, macsPath + bareMAC + "/")
            let full = try await fetch(endpoint, macsPath + secondaryMAC + "/")
            #expect(bare.text == "network-interface-id\nipv6s")
            #expect(full.text == perENIKeys.joined(separator: "\n"))
        }
    }

    @Test("A plain key with a trailing slash or a doubled slash is a 404")
    func malformedPathsAre404() async throws {
        try await withSimulator { _, endpoint in
            for path in ["/latest/meta-data/instance-id/", "/latest/meta-data//instance-id", macsPath + "/" + primaryMAC + "/gateway"] {
                let response = try await fetch(endpoint, path)
                #expect(response.status == 404, "\(path)")
            }
        }
    }

    @Test("A MAC in the path matches the document regardless of case")
    func macPathIsCaseInsensitive() async throws {
        try await withSimulator { _, endpoint in
            let response = try await fetch(endpoint, macsPath + secondaryMAC.uppercased() + "/gateway")
            #expect(response.text == "192.168.1.253")
        }
    }

    @Test("The macs listing follows document order")
    func macsFollowDocumentOrder() async throws {
        var state = SimState.sample
        state.enis.reverse()
        try await withSimulator(state) { _, endpoint in
            let macs = try await fetch(endpoint, macsPath)
            #expect(macs.text == "\(bareMAC)/\n\(secondaryMAC)/\n\(primaryMAC)/")
        }
    }

    @Test("A method other than GET on a metadata key is refused with 405")
    func postIsRefused() async throws {
        try await withSimulator { _, endpoint in
            let response = try await fetch(endpoint, "/latest/meta-data/instance-id", method: .POST)
            #expect(response.status == 405)
        }
    }
}
