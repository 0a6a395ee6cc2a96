// SPDX-License-Identifier: Apache-2.0
import IMDSSim
import NIOHTTP1
import Testing

let zoneIDPath = "/latest/meta-data/zone-id"

@Suite struct FaultTests {
    @Test("A status and body fault answers with exactly them")
    func statusAndBody() async throws {
        let fault = SimFault(path: instanceIDPath, status: 500, body: "oops")
        try await withSimulator(faults: [fault]) { _, endpoint in
            let response = try await fetch(endpoint, instanceIDPath)
            #expect(response.status == 500)
            #expect(response.text == "oops")
        }
    }

    @Test("A status fault without a body answers with an HTML page for that status")
    func statusOnly() async throws {
        try await withSimulator(faults: [SimFault(path: instanceIDPath, status: 429)]) { _, endpoint in
            let response = try await fetch(endpoint, instanceIDPath)
            #expect(response.status == 429)
            #expect(response.contentType == "text/html")
            #expect(response.text.contains("429"))
        }
    }

    @Test("A delay fault answers normally, but only after the delay")
    func delay() async throws {
        try await withSimulator(faults: [SimFault(path: instanceIDPath, delayMs: 300)]) { _, endpoint in
            let start = ContinuousClock.now
            let response = try await fetch(endpoint, instanceIDPath)
            let elapsed = ContinuousClock.now - start
            #expect(response.status == 200)
            #expect(response.text == "i-bp1e3fhzdm2hgvz6q7ta")
            #expect(elapsed >= .milliseconds(300))
        }
    }

    @Test("A delay combines with a status")
    func delayWithStatus() async throws {
        try await withSimulator(faults: [SimFault(path: instanceIDPath, status: 503, delayMs: 200)]) { _, endpoint in
            let start = ContinuousClock.now
            let response = try await fetch(endpoint, instanceIDPath)
            #expect(ContinuousClock.now - start >= .milliseconds(200))
            #expect(response.status == 503)
        }
    }

    @Test("A garbage fault answers 200 with bytes that are not UTF-8")
    func garbage() async throws {
        try await withSimulator(faults: [SimFault(path: instanceIDPath, garbage: true)]) { _, endpoint in
            let response = try await fetch(endpoint, instanceIDPath)
            #expect(response.status == 200)
            #expect(!response.body.isEmpty)
            #expect(String(validating: response.body, as: UTF8.self) == nil)
        }
    }

    @Test("A drop fault closes the connection without an answer")
    func drop() async throws {
        try await withSimulator(faults: [SimFault(path: instanceIDPath, drop: true)]) { _, endpoint in
            await #expect(throws: ConnectionClosed.self) { try await fetch(endpoint, instanceIDPath) }
            let other = try await fetch(endpoint, zoneIDPath)
            #expect(other.status == 200)
        }
    }

    @Test("An oversize fault answers 200 with a 10 MiB body")
    func oversize() async throws {
        try await withSimulator(faults: [SimFault(path: instanceIDPath, oversize: true)]) { _, endpoint in
            let response = try await fetch(endpoint, instanceIDPath)
            #expect(response.status == 200)
            #expect(response.body.count == 10 << 20)
            #expect(response.headers.first(name: "Content-Length") == String(10 << 20))
        }
    }

    @Test("An http10 fault answers HTTP/1.0 without Content-Length and closes to end the body")
    func http10() async throws {
        try await withSimulator(faults: [SimFault(path: instanceIDPath, http10: true)]) { _, endpoint in
            try await withConnection(endpoint) { connection in
                let response = try await connection.request(instanceIDPath)
                #expect(response.version == .http1_0)
                #expect(response.status == 200)
                #expect(response.headers.first(name: "Content-Length") == nil)
                #expect(response.text == "i-bp1e3fhzdm2hgvz6q7ta")
                #expect(try await connection.peerClosed())
            }
        }
    }

    @Test("A fault with times applies to that many requests, then the normal answer returns")
    func timesCounting() async throws {
        let fault = SimFault(path: instanceIDPath, status: 500, times: 3)
        try await withSimulator(faults: [fault]) { sim, endpoint in
            var statuses: [Int] = []
            for _ in 0..<5 { statuses.append(try await fetch(endpoint, instanceIDPath).status) }
            #expect(statuses == [500, 500, 500, 200, 200])
            #expect(sim.faults().first?.times == 0)
        }
    }

    @Test("A fault without times applies forever")
    func noTimesIsForever() async throws {
        try await withSimulator(faults: [SimFault(path: instanceIDPath, status: 500)]) { _, endpoint in
            var statuses: [Int] = []
            for _ in 0..<4 { statuses.append(try await fetch(endpoint, instanceIDPath).status) }
            #expect(statuses == [500, 500, 500, 500])
        }
    }

    @Test("A path ending in * matches every path under the prefix and nothing else")
    func prefixMatch() async throws {
        let fault = SimFault(path: macsPath + "*", status: 500)
        try await withSimulator(faults: [fault]) { _, endpoint in
            let listing = try await fetch(endpoint, macsPath)
            let key = try await fetch(endpoint, macsPath + primaryMAC + "/gateway")
            let outside = try await fetch(endpoint, instanceIDPath)
            #expect(listing.status == 500)
            #expect(key.status == 500)
            #expect(outside.status == 200)
        }
    }

    @Test("An exact path does not match a longer path or the path with a trailing slash")
    func exactMatch() async throws {
        let fault = SimFault(path: macsPath + primaryMAC, status: 500)
        try await withSimulator(faults: [fault]) { _, endpoint in
            let exact = try await fetch(endpoint, macsPath + primaryMAC)
            let slash = try await fetch(endpoint, macsPath + primaryMAC + "/")
            let key = try await fetch(endpoint, macsPath + primaryMAC + "/gateway")
            #expect(exact.status == 500)
            #expect(slash.status == 200)
            #expect(key.status == 200)
        }
    }

    @Test("A fault path with 2016-01-01 matches latest requests and the other way round")
    func versionAliasInFaults() async throws {
        let faults = [
            SimFault(path: "/2016-01-01/meta-data/instance-id", status: 500),
            SimFault(path: "/latest/meta-data/zone-id", status: 502),
        ]
        try await withSimulator(faults: faults) { _, endpoint in
            let latest = try await fetch(endpoint, instanceIDPath)
            let dated = try await fetch(endpoint, "/2016-01-01/meta-data/zone-id")
            #expect(latest.status == 500)
            #expect(dated.status == 502)
        }
    }

    @Test("The first matching fault wins")
    func firstMatchWins() async throws {
        let faults = [
            SimFault(path: instanceIDPath, status: 404),
            SimFault(path: "/latest/*", status: 500),
        ]
        try await withSimulator(faults: faults) { _, endpoint in
            let specific = try await fetch(endpoint, instanceIDPath)
            let general = try await fetch(endpoint, zoneIDPath)
            #expect(specific.status == 404)
            #expect(general.status == 500)
        }
    }

    @Test("A fault used up by times lets the next matching fault apply")
    func usedUpFaultFallsThrough() async throws {
        let faults = [
            SimFault(path: instanceIDPath, status: 500, times: 1),
            SimFault(path: instanceIDPath, status: 503, times: 1),
        ]
        try await withSimulator(faults: faults) { _, endpoint in
            var statuses: [Int] = []
            for _ in 0..<3 { statuses.append(try await fetch(endpoint, instanceIDPath).status) }
            #expect(statuses == [500, 503, 200])
        }
    }

    @Test("A fault with a method applies only to that method, ignoring case")
    func methodFilter() async throws {
        let faults = [SimFault(path: tokenPath, method: "put", status: 500)]
        try await withSimulator(faults: faults) { _, endpoint in
            let put = try await requestToken(endpoint)
            let get = try await fetch(endpoint, tokenPath)
            #expect(put.status == 500)
            #expect(get.status == 405)
        }
    }

    @Test("A fault replacing the token answer issues no token")
    func faultedTokenRequest() async throws {
        try await withSimulator(faults: [SimFault(path: tokenPath, body: "not-a-token", times: 1)]) { _, endpoint in
            let fake = try await requestToken(endpoint)
            #expect(fake.status == 200)
            let get = try await fetch(endpoint, instanceIDPath, headers: [(tokenHeader, fake.text)])
            #expect(get.status == 401)
        }
    }

    @Test("Admin requests are never faulted")
    func adminIsNeverFaulted() async throws {
        try await withSimulator(faults: [SimFault(path: "/*", drop: true)]) { _, endpoint in
            let admin = try await fetch(endpoint, "/_sim/state")
            #expect(admin.status == 200)
            await #expect(throws: ConnectionClosed.self) { try await fetch(endpoint, instanceIDPath) }
        }
    }

    @Test("setFaults replaces the list and clearFaults empties it")
    func setAndClear() async throws {
        try await withSimulator { sim, endpoint in
            sim.setFaults([SimFault(path: instanceIDPath, status: 500)])
            let faulted = try await fetch(endpoint, instanceIDPath)
            sim.clearFaults()
            let normal = try await fetch(endpoint, instanceIDPath)
            #expect(faulted.status == 500)
            #expect(normal.status == 200)
            #expect(sim.faults().isEmpty)
        }
    }
}
