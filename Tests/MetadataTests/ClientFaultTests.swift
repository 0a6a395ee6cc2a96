// SPDX-License-Identifier: Apache-2.0
// Each fault the simulator can inject, and what it must do to the read: throw for the listing,
// an incomplete ENI for one of its keys, never an invented address.

import IMDSSim
import Metadata
import Model
import Testing

private let second = "00:16:3e:00:00:02"

@Suite struct ClientFaults {
    @Test func macsAnswering500ForeverFailsTheWholeRead() async throws {
        let fault = SimFault(path: macsPath, status: 500)
        try await withSimulator(try sampleState(), faults: [fault]) { simulator, client in
            await #expect(throws: MetadataError.unavailable(reason: "macs/: HTTP 500 (4 attempts)")) {
                try await client.read()
            }
            #expect(simulator.counters().byPath[macsPath] == 4)
        }
    }

    @Test func aReadBudgetExhaustedBeforeTheListingIsATimeout() async throws {
        let fault = SimFault(path: macsPath, delayMs: 2000)
        try await withSimulator(try sampleState(), faults: [fault], configure: {
            $0.readBudget = .milliseconds(300)
            $0.requestTimeout = .seconds(1)
        }) { _, client in
            await #expect(throws: MetadataError.timeout) { try await client.read() }
        }
    }

    @Test func aMalformedListingFailsTheWholeRead() async throws {
        let fault = SimFault(path: macsPath, status: 200, body: "00:16:3e:00:00:01/\nnot-a-mac/\n")
        try await withSimulator(try sampleState(), faults: [fault]) { _, client in
            await #expect(throws: MetadataError.self) { try await client.read() }
        }
    }

    @Test func aMissingInstanceMACFailsTheWholeRead() async throws {
        let fault = SimFault(path: "/latest/meta-data/mac", status: 404)
        try await withSimulator(try sampleState(), faults: [fault]) { _, client in
            await #expect(throws: MetadataError.unavailable(reason: "the instance mac key answered 404")) {
                try await client.read()
            }
        }
    }

    @Test func anInstanceMACThatIsNotListedFailsTheWholeRead() async throws {
        let fault = SimFault(path: macsPath, status: 200, body: "00:16:3e:00:00:02/\n00:16:3e:00:00:03/\n")
        try await withSimulator(try sampleState(), faults: [fault]) { _, client in
            await #expect(throws: MetadataError.self) { try await client.read() }
        }
    }

    @Test func aMissingOptionalInstanceKeyIsNil() async throws {
        let fault = SimFault(path: "/latest/meta-data/zone-id", status: 500)
        try await withSimulator(try sampleState(), faults: [fault]) { _, client in
            let read = try await client.read()
            #expect(read.network.zoneID == nil)
            #expect(read.network.isComplete)
            #expect(read.diagnostics.map(\.key) == ["zone-id"])
        }
    }

    @Test func privateIPv4s404MakesThatENIIncompleteOnly() async throws {
        let state = try sampleState()
        let fault = SimFault(path: keyPath(second, "private-ipv4s"), status: 404)
        try await withSimulator(state, faults: [fault]) { _, client in
            let read = try await client.read()
            #expect(read.network.eni(second)?.incompleteReason == "private-ipv4s missing")
            #expect(read.network.eni(second)?.privateIPv4s == [])
            #expect(read.network.enis.filter(\.completeness.isComplete).count == 2)
            expectNothingInvented(read.network, from: state)
        }
    }

    @Test func twoFailuresThenSuccessIsCompleteAfterRetries() async throws {
        let fault = SimFault(path: keyPath(second, "private-ipv4s"), status: 500, times: 2)
        try await withSimulator(try sampleState(), faults: [fault]) { _, client in
            let read = try await client.read()
            #expect(read.network == expectedSampleNetwork)
            #expect(read.requests == 39 + 2)
            #expect(read.diagnostics == [MetadataDiagnostic(
                mac: MACAddress(second), key: "private-ipv4s", value: "",
                problem: "answered after 3 attempts (HTTP 500, HTTP 500)")])
        }
    }

    /// The gateway never answers; every other request has seconds to spare, which no loaded
    /// machine needs for a request over loopback, so only the gateway times out.
    @Test func aDelayPastTheRequestTimeoutMakesThatENIIncomplete() async throws {
        let state = try sampleState()
        let fault = SimFault(path: keyPath(second, "gateway"), delayMs: 3_600_000)
        try await withSimulator(state, faults: [fault], configure: {
            $0.requestTimeout = .seconds(5)
            $0.maxAttempts = 2
        }) { _, client in
            // Two timeouts and a backoff; the guard is for a timeout that never fires.
            let read = try #require(await result(of: Task { try await client.read() }, within: .seconds(120))).get()
            #expect(read.network.eni(second)?.incompleteReason == "gateway failed: request timed out (2 attempts)")
            #expect(read.network.eni(second)?.gateway == nil)
            expectNothingInvented(read.network, from: state)
        }
    }

    @Test func garbageMakesThatENIIncompleteAndIsReported() async throws {
        let state = try sampleState()
        let fault = SimFault(path: keyPath(second, "private-ipv4s"), garbage: true)
        try await withSimulator(state, faults: [fault]) { _, client in
            let read = try await client.read()
            #expect(read.network.eni(second)?.incompleteReason?.hasPrefix("private-ipv4s invalid") == true)
            #expect(read.network.eni(second)?.privateIPv4s == [])
            #expect(read.diagnostics.map(\.key) == ["private-ipv4s"])
            #expect(read.diagnostics.allSatisfy { $0.value.count <= 200 })
            expectNothingInvented(read.network, from: state)
        }
    }

    @Test func anOversizeBodyMakesThatENIIncompleteWithoutRetrying() async throws {
        let state = try sampleState()
        let path = keyPath(second, "ipv6s")
        let fault = SimFault(path: path, oversize: true)
        try await withSimulator(state, faults: [fault]) { simulator, client in
            let read = try await client.read()
            #expect(read.network.eni(second)?.incompleteReason == "ipv6s failed: body larger than 65536 bytes")
            #expect(read.network.eni(second)?.ipv6s == [])
            #expect(simulator.counters().byPath[path] == 1)
            expectNothingInvented(read.network, from: state)
        }
    }

    @Test func anOversizeBodyWithoutContentLengthIsCutAtTheCap() async throws {
        let state = try sampleState()
        let fault = SimFault(path: keyPath(second, "ipv6s"), oversize: true, http10: true)
        try await withSimulator(state, faults: [fault]) { _, client in
            let read = try await client.read()
            #expect(read.network.eni(second)?.incompleteReason == "ipv6s failed: body larger than 65536 bytes")
            expectNothingInvented(read.network, from: state)
        }
    }

    @Test func aDroppedConnectionIsRetried() async throws {
        let fault = SimFault(path: keyPath(second, "network-interface-id"), drop: true, times: 1)
        try await withSimulator(try sampleState(), faults: [fault]) { _, client in
            let read = try await client.read()
            #expect(read.network == expectedSampleNetwork)
            #expect(read.requests == 39 + 1)
        }
    }

    @Test func connectionsDroppedForeverMakeThatENIIncomplete() async throws {
        let state = try sampleState()
        let fault = SimFault(path: keyPath(second, "netmask"), drop: true)
        try await withSimulator(state, faults: [fault]) { _, client in
            let read = try await client.read()
            #expect(read.network.eni(second)?.incompleteReason?.hasPrefix("netmask failed: connection closed") == true)
            expectNothingInvented(read.network, from: state)
        }
    }

    @Test func anHTTP10AnswerWithoutContentLengthIsReadToTheEnd() async throws {
        let faults = [
            SimFault(path: keyPath(second, "private-ipv4s"), http10: true),
            SimFault(path: macsPath, http10: true),
        ]
        try await withSimulator(try sampleState(), faults: faults) { _, client in
            let network = try await client.read().network
            #expect(network == expectedSampleNetwork)
        }
    }

    @Test func aRedirectIsNotFollowed() async throws {
        let fault = SimFault(path: keyPath(second, "gateway"), status: 302, body: "elsewhere")
        try await withSimulator(try sampleState(), faults: [fault]) { simulator, client in
            let read = try await client.read()
            #expect(read.network.eni(second)?.incompleteReason == "gateway failed: HTTP 302 (redirects are not followed)")
            #expect(simulator.counters().byPath[keyPath(second, "gateway")] == 1)
        }
    }

    @Test func anHTMLPageAnsweredWith200IsAnInvalidValue() async throws {
        let fault = SimFault(path: keyPath(second, "network-interface-id"), status: 200, body: "<html><body>oops</body></html>")
        try await withSimulator(try sampleState(), faults: [fault]) { _, client in
            let read = try await client.read()
            #expect(read.network.eni(second)?.id == nil)
            #expect(read.network.eni(second)?.incompleteReason == "network-interface-id invalid: not an identifier")
        }
    }

    @Test func throttlingIsRetriedWithBackoff() async throws {
        let fault = SimFault(path: macsPath + "*", status: 429, times: 3)
        try await withSimulator(try sampleState(), faults: [fault]) { _, client in
            let read = try await client.read()
            #expect(read.network == expectedSampleNetwork)
            #expect(read.requests == 39 + 3)
        }
    }

    @Test func aRefusedConnectionFailsTheReadAsUnavailable() async throws {
        // A port the simulator listened on and no longer does.
        let simulator = IMDSSimulator(state: try sampleState())
        let port = try await simulator.start(host: "127.0.0.1", port: 0)
        try await simulator.stop()
        let client = MetadataClient(configuration: fastConfiguration(port: port, tokenMode: .off))
        await #expect(throws: MetadataError.self) { try await client.read() }
        await client.shutdown()
    }
}
