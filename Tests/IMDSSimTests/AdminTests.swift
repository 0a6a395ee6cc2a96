// SPDX-License-Identifier: Apache-2.0
import Foundation
import IMDSSim
import NIOHTTP1
import Testing

func decode<T: Decodable>(_ type: T.Type, _ response: TestResponse) throws -> T {
    try JSONDecoder().decode(type, from: Data(response.body))
}

func encode(_ value: some Encodable) throws -> String {
    String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
}

@Suite struct AdminTests {
    @Test("GET /_sim/state returns the document being served")
    func getState() async throws {
        try await withSimulator { sim, endpoint in
            let response = try await fetch(endpoint, "/_sim/state")
            #expect(response.status == 200)
            #expect(response.contentType == "application/json")
            #expect(try decode(SimState.self, response) == sim.state())
            #expect(try decode(SimState.self, response) == .sample)
        }
    }

    @Test("PUT /_sim/state replaces the document")
    func putState() async throws {
        try await withSimulator { sim, endpoint in
            var new = SimState.sample
            new.instanceID = "i-replaced"
            new.enis.removeLast()
            let put = try await fetch(endpoint, "/_sim/state", method: .PUT, body: try encode(new))
            #expect(put.status == 204)
            let id = try await fetch(endpoint, instanceIDPath)
            let macs = try await fetch(endpoint, macsPath)
            #expect(id.text == "i-replaced")
            #expect(macs.text == "\(primaryMAC)/\n\(secondaryMAC)/")
            #expect(sim.state() == new)
        }
    }

    @Test("PUT /_sim/state with the contract's example document is accepted")
    func contractExampleAccepted() async throws {
        let example = """
            { "instanceId": "i-bp67acfmxazb4ph4dbg4", "regionId": "cn-hangzhou", "zoneId": "cn-hangzhou-k",
              "vpcId": "vpc-bp1abc", "tokenMode": "optional",
              "enis": [
                { "mac": "00:16:3e:12:34:01", "primary": true, "id": "eni-bp1aaaa",
                  "primaryIp": "192.168.1.201", "privateIpv4s": ["192.168.1.201", "192.168.1.202"],
                  "netmask": "255.255.255.0", "gateway": "192.168.1.253",
                  "vswitchCidr": "192.168.1.0/24", "vpcCidr": "192.168.0.0/16",
                  "vswitchId": "vsw-bp1aaaa", "vpcId": "vpc-bp1abc",
                  "ipv6s": ["2408:4005:3a4:ab00::201"], "ipv6Gateway": "2408:4005:3a4:ab00:ffff:ffff:ffff:fffd",
                  "vswitchIpv6Cidr": "2408:4005:3a4:ab00::/64", "vpcIpv6Cidrs": ["2408:4005:3a4:ab00::/56"],
                  "ipv4Prefixes": [], "ipv6Prefixes": [] } ] }
            """
        try await withSimulator { _, endpoint in
            let put = try await fetch(endpoint, "/_sim/state", method: .PUT, body: example)
            #expect(put.status == 204)
            let ipv4s = try await fetch(endpoint, macsPath + "00:16:3e:12:34:01/private-ipv4s")
            #expect(ipv4s.text == #"["192.168.1.201","192.168.1.202"]"#)
        }
    }

    @Test(
        "A malformed document is a 400 naming the problem, and the state is unchanged",
        arguments: [
            ("{", "JSON"),
            (#"{"enis": [{"mac": "00:16:3e:00:00:01", "privateIPv4s": []}]}"#, "privateIPv4s"),
            (#"{"enis": [{"id": "eni-x"}]}"#, "mac"),
            (#"{"enis": [{"mac": "00:16:3e:00:00:01"}, {"mac": "00:16:3E:00:00:01"}]}"#, "more than once"),
            (#"{"tokenMode": "sometimes"}"#, "tokenMode"),
        ])
    func malformedState(body: String, mentions: String) async throws {
        try await withSimulator { sim, endpoint in
            let put = try await fetch(endpoint, "/_sim/state", method: .PUT, body: body)
            #expect(put.status == 400)
            #expect(put.text.contains(mentions), "\(put.text)")
            #expect(sim.state() == .sample)
        }
    }

    @Test("PUT /_sim/enis/<mac> appends a new ENI to the listing")
    func upsertAppends() async throws {
        try await withSimulator { sim, endpoint in
            let mac = "00:16:3e:00:00:0a"
            let put = try await fetch(
                endpoint, "/_sim/enis/" + mac, method: .PUT, body: #"{"id": "eni-new", "gateway": "192.168.1.253"}"#)
            #expect(put.status == 204)
            let macs = try await fetch(endpoint, macsPath)
            let id = try await fetch(endpoint, macsPath + mac + "/network-interface-id")
            #expect(macs.text.hasSuffix("\n\(mac)/"))
            #expect(id.text == "eni-new")
            #expect(sim.state().enis.count == SimState.sample.enis.count + 1)
        }
    }

    @Test("PUT /_sim/enis/<mac> replaces an existing ENI in place")
    func upsertReplaces() async throws {
        try await withSimulator { sim, endpoint in
            let body = try encode(SimENI(mac: secondaryMAC, id: "eni-changed", privateIPv4s: ["192.168.1.211"]))
            let put = try await fetch(endpoint, "/_sim/enis/" + secondaryMAC.uppercased(), method: .PUT, body: body)
            #expect(put.status == 204)
            let macs = try await fetch(endpoint, macsPath)
            let ipv4s = try await fetch(endpoint, macsPath + secondaryMAC + "/private-ipv4s")
            let gateway = try await fetch(endpoint, macsPath + secondaryMAC + "/gateway")
            #expect(macs.text == "\(primaryMAC)/\n\(secondaryMAC)/\n\(bareMAC)/")
            #expect(ipv4s.text == #"["192.168.1.211"]"#)
            #expect(gateway.status == 404)
            #expect(sim.state().enis[1].id == "eni-changed")
        }
    }

    @Test("PUT /_sim/enis/<mac> with a different mac in the body is a 400")
    func upsertMACMismatch() async throws {
        try await withSimulator { sim, endpoint in
            let put = try await fetch(endpoint, "/_sim/enis/" + primaryMAC, method: .PUT, body: #"{"mac": "00:16:3e:99:99:99"}"#)
            #expect(put.status == 400)
            #expect(sim.state() == .sample)
        }
    }

    @Test("DELETE /_sim/enis/<mac> removes the ENI; an unknown MAC is a 404")
    func deleteENI() async throws {
        try await withSimulator { _, endpoint in
            let delete = try await fetch(endpoint, "/_sim/enis/" + secondaryMAC, method: .DELETE)
            let again = try await fetch(endpoint, "/_sim/enis/" + secondaryMAC, method: .DELETE)
            let macs = try await fetch(endpoint, macsPath)
            let key = try await fetch(endpoint, macsPath + secondaryMAC + "/gateway")
            #expect(delete.status == 204)
            #expect(again.status == 404)
            #expect(macs.text == "\(primaryMAC)/\n\(bareMAC)/")
            #expect(key.status == 404)
        }
    }

    @Test("upsertENI and removeENI change what is served at once")
    func inProcessENIChanges() async throws {
        try await withSimulator { sim, endpoint in
            sim.upsertENI(SimENI(mac: "00:16:3e:00:00:0b", id: "eni-hotplugged"))
            let added = try await fetch(endpoint, macsPath + "00:16:3e:00:00:0b/network-interface-id")
            #expect(sim.removeENI(mac: "00:16:3E:00:00:0B"))
            #expect(!sim.removeENI(mac: "00:16:3e:00:00:0b"))
            let removed = try await fetch(endpoint, macsPath + "00:16:3e:00:00:0b/network-interface-id")
            #expect(added.text == "eni-hotplugged")
            #expect(removed.status == 404)
        }
    }

    @Test("A MAC in an admin path may be percent-encoded")
    func percentEncodedMAC() async throws {
        try await withSimulator { _, endpoint in
            let delete = try await fetch(endpoint, "/_sim/enis/00%3A16%3A3e%3A00%3A00%3A02", method: .DELETE)
            #expect(delete.status == 204)
        }
    }

    @Test("PUT, GET and DELETE /_sim/faults replace, show and clear the faults")
    func faultsOverHTTP() async throws {
        try await withSimulator { sim, endpoint in
            let body = #"[{"path": "/latest/meta-data/*", "status": 500, "times": 2}]"#
            let put = try await fetch(endpoint, "/_sim/faults", method: .PUT, body: body)
            #expect(put.status == 204)
            let faulted = try await fetch(endpoint, instanceIDPath)
            #expect(faulted.status == 500)
            let listed = try decode([SimFault].self, try await fetch(endpoint, "/_sim/faults"))
            #expect(listed == [SimFault(path: "/latest/meta-data/*", status: 500, times: 1)])
            let delete = try await fetch(endpoint, "/_sim/faults", method: .DELETE)
            #expect(delete.status == 204)
            #expect(sim.faults().isEmpty)
            let normal = try await fetch(endpoint, instanceIDPath)
            #expect(normal.status == 200)
        }
    }

    @Test(
        "An invalid fault list is a 400 and the faults are unchanged",
        arguments: [
            #"[{"path": "latest/x"}]"#, #"[{"path": "/x", "status": 42}]"#, #"[{"path": "/x", "delayMs": -1}]"#,
            #"[{"path": "/x", "dorp": true}]"#, #"{"path": "/x"}"#,
        ])
    func invalidFaults(body: String) async throws {
        try await withSimulator(faults: [SimFault(path: "/keep")]) { sim, endpoint in
            let put = try await fetch(endpoint, "/_sim/faults", method: .PUT, body: body)
            #expect(put.status == 400)
            #expect(sim.faults() == [SimFault(path: "/keep")])
        }
    }

    @Test("POST /_sim/tokens/expire makes an issued token 401")
    func expireOverHTTP() async throws {
        try await withSimulator { _, endpoint in
            let token = try await requestToken(endpoint).text
            let expire = try await fetch(endpoint, "/_sim/tokens/expire", method: .POST)
            let get = try await fetch(endpoint, instanceIDPath, headers: [(tokenHeader, token)])
            #expect(expire.status == 204)
            #expect(get.status == 401)
        }
    }

    @Test("An unknown admin path is a 404")
    func unknownAdminPath() async throws {
        try await withSimulator { _, endpoint in
            let response = try await fetch(endpoint, "/_sim/nothing")
            let wrongMethod = try await fetch(endpoint, "/_sim/state", method: .DELETE)
            #expect(response.status == 404)
            #expect(wrongMethod.status == 404)
        }
    }
}

@Suite struct CounterTests {
    @Test("Counters count metadata requests, token requests and each path, but no admin request")
    func countersCount() async throws {
        try await withSimulator { sim, endpoint in
            _ = try await requestToken(endpoint)
            _ = try await fetch(endpoint, instanceIDPath)
            _ = try await fetch(endpoint, instanceIDPath)
            _ = try await fetch(endpoint, "/2016-01-01/meta-data/instance-id")
            _ = try await fetch(endpoint, "/latest/meta-data/nope")
            _ = try await fetch(endpoint, "/_sim/state")
            let expected = SimCounters(
                total: 5, tokenRequests: 1,
                byPath: [
                    tokenPath: 1, instanceIDPath: 2, "/2016-01-01/meta-data/instance-id": 1,
                    "/latest/meta-data/nope": 1,
                ])
            #expect(sim.counters() == expected)
            let overHTTP = try decode(SimCounters.self, try await fetch(endpoint, "/_sim/counters"))
            #expect(overHTTP == expected)
        }
    }

    @Test("Faulted and dropped requests are counted too")
    func faultedRequestsCount() async throws {
        try await withSimulator(faults: [SimFault(path: instanceIDPath, drop: true)]) { sim, endpoint in
            _ = try? await fetch(endpoint, instanceIDPath)
            #expect(sim.counters().byPath[instanceIDPath] == 1)
        }
    }

    @Test("DELETE /_sim/counters and resetCounters start from zero")
    func resetCounters() async throws {
        try await withSimulator { sim, endpoint in
            _ = try await fetch(endpoint, instanceIDPath)
            let delete = try await fetch(endpoint, "/_sim/counters", method: .DELETE)
            #expect(delete.status == 204)
            #expect(sim.counters() == SimCounters())
            _ = try await fetch(endpoint, instanceIDPath)
            sim.resetCounters()
            #expect(sim.counters() == SimCounters())
        }
    }
}
