// SPDX-License-Identifier: Apache-2.0
// The client against the in-process simulator: whole reads, request counts, tokens.

import IMDSSim
import Metadata
import Model
import Testing

let macsPath = "/latest/meta-data/network/interfaces/macs/"
func keyPath(_ mac: String, _ key: String) -> String { macsPath + mac + "/" + key }

@Suite struct ClientReads {
    @Test func aColdReadOfTheSampleStateGivesTheExpectedNetwork() async throws {
        try await withSimulator(try sampleState()) { _, client in
            let read = try await client.read()
            #expect(read.network == expectedSampleNetwork)
            #expect(read.network.isComplete)
            #expect(read.diagnostics.isEmpty)
            // The token, macs/, four instance keys, eleven keys for each of three ENIs.
            #expect(read.requests == 1 + 1 + 4 + 11 * 3)
        }
    }

    @Test func aSteadyReadOfThreeENIsCostsThirteenRequests() async throws {
        try await withSimulator(try sampleState()) { simulator, client in
            _ = try await client.read()
            simulator.resetCounters()
            let steady = try await client.read()
            // macs/ and four lists per ENI: two of addresses, two of prefixes.
            #expect(steady.requests == 13)
            #expect(simulator.counters().total == 13)
            #expect(steady.network == expectedSampleNetwork)
        }
    }

    /// docs/metadata.md "Limits": beyond the cap an ENI is listed but not read, and stays in
    /// the network as incomplete so that nothing on it looks detached.
    @Test func ENIsBeyondTheCapAreKeptUnreadAndIncomplete() async throws {
        #expect(MetadataConfiguration().maxENIs == MetadataLimits.enis)
        // A cap of 2 (the default is 128) keeps the test small: 4 ENIs listed, 2 read.
        try await withSimulator(generatedState(enis: 4), configure: { $0.maxENIs = 2 }) { simulator, client in
            let read = try await client.read()
            #expect(read.network.enis.count == 4)
            #expect(read.network.enis.prefix(2).allSatisfy { $0.completeness.isComplete })
            let unread = Array(read.network.enis.dropFirst(2))
            let reason = Completeness.incomplete(reason: "not read: more than 2 ENIs listed")
            #expect(unread.count == 2 && unread.allSatisfy { $0.completeness == reason })
            #expect(unread.allSatisfy { $0.privateIPv4s.isEmpty && $0.id == nil })
            #expect(read.diagnostics.map(\.key) == ["macs/"])
            #expect(read.diagnostics.first?.value == unread.map(\.mac.description).joined(separator: ","))
            // Their keys were never asked for: the token, macs/, 4 instance keys, 11 keys × 2.
            #expect(read.requests == 2 + 4 + 11 * 2)
        }
    }

    @Test func aSteadyReadOf32ENIsCosts129Requests() async throws {
        try await withSimulator(generatedState(enis: 32)) { simulator, client in
            let cold = try await client.read()
            #expect(cold.network.enis.count == 32)
            #expect(cold.network.isComplete)
            simulator.resetCounters()
            let steady = try await client.read()
            #expect(steady.requests == 129)
            #expect(simulator.counters().total == 129)
            #expect(steady.network == cold.network)
        }
    }

    @Test func aChangedAddressListIsSeenByTheNextSteadyRead() async throws {
        try await withSimulator(try sampleState()) { simulator, client in
            _ = try await client.read()
            var eni = try #require(simulator.state().eni(mac: "00:16:3e:00:00:02"))
            eni.privateIPv4s = ["192.168.1.211", "192.168.1.214"]
            simulator.upsertENI(eni)
            let read = try await client.read()
            #expect(read.requests == 13)
            #expect(read.network.eni("00:16:3e:00:00:02")?.privateIPv4s == [IPv4Address("192.168.1.211")!, IPv4Address("192.168.1.214")!])
        }
    }

    @Test func aNewMACRefreshesEveryStableKey() async throws {
        var state = try sampleState()
        let fourth = SimENI(
            mac: "00:16:3e:00:00:04", id: "eni-bp1d66qjxb3qoin3ex04", primaryIP: "192.168.1.231",
            privateIPv4s: ["192.168.1.231"], netmask: "255.255.255.0", gateway: "192.168.1.253",
            vswitchCIDR: "192.168.1.0/24")
        try await withSimulator(state) { simulator, client in
            _ = try await client.read()
            state.enis.append(fourth)
            simulator.setState(state)
            let read = try await client.read()
            // macs/, the four instance keys, eleven keys for each of four ENIs.
            #expect(read.requests == 1 + 4 + 11 * 4)
            #expect(read.network.enis.count == 4)
            #expect(read.network.isComplete)
        }
    }

    @Test func invalidateCacheMakesTheNextReadFetchEverythingAgain() async throws {
        try await withSimulator(try sampleState()) { _, client in
            _ = try await client.read()
            await client.invalidateCache()
            let read = try await client.read()
            #expect(read.requests == 1 + 4 + 11 * 3)
        }
    }

    @Test func stableKeysAreReadAgainOnceTheRefreshPeriodHasPassed() async throws {
        try await withSimulator(try sampleState(), configure: { $0.stableKeyRefresh = .zero }) { _, client in
            _ = try await client.read()
            let read = try await client.read()
            #expect(read.requests == 1 + 4 + 11 * 3)
        }
    }

    @Test func anENIThatWasIncompleteHasItsStableKeysReadAgain() async throws {
        let gateway = keyPath("00:16:3e:00:00:03", "gateway")
        try await withSimulator(try sampleState(), faults: [SimFault(path: gateway, status: 404, times: 1)]) { _, client in
            let first = try await client.read()
            #expect(first.network.eni("00:16:3e:00:00:03")?.incompleteReason == "gateway missing")
            let second = try await client.read()
            #expect(second.network == expectedSampleNetwork)
            // macs/ and four lists per ENI, plus the seven stable keys of the ENI that was incomplete.
            #expect(second.requests == 13 + 7)
        }
    }

    @Test func upperCaseMACsInTheListingAreReadAndNormalised() async throws {
        var state = try sampleState()
        state.enis = state.enis.map { eni in
            var upper = eni
            upper.mac = eni.mac.uppercased()
            return upper
        }
        try await withSimulator(state) { _, client in
            let read = try await client.read()
            #expect(read.network.enis.map(\.mac) == expectedSampleNetwork.enis.map(\.mac))
        }
    }

    @Test func aReadAfterShutdownThrows() async throws {
        try await withSimulator(try sampleState()) { _, client in
            await client.shutdown()
            await #expect(throws: MetadataError.shutDown) { try await client.read() }
        }
    }

    @Test func connectionsAreKeptAliveAndNeverMoreThanMaxConcurrency() async throws {
        try await withSimulator(generatedState(enis: 32), configure: { $0.maxConcurrency = 3 }) { _, client in
            let read = try await client.read()
            #expect(read.requests == 1 + 1 + 4 + 11 * 32)
            #expect((1...3).contains(read.connections))
        }
    }

    /// The answer never comes and no timeout or budget ends the wait before the hour is out:
    /// only the cancellation can end the read ("promptly": without waiting for any of them).
    @Test func aReadCancelledWhileWaitingThrowsCancelledPromptly() async throws {
        let fault = SimFault(path: macsPath, delayMs: 3_600_000)
        try await withSimulator(try sampleState(), faults: [fault], tokenMode: .off, configure: {
            $0.requestTimeout = .seconds(3600)
            $0.readBudget = .seconds(7200)
        }) { simulator, client in
            let task = Task { try await client.read() }
            try await waitUntil(timeout: .seconds(60)) { simulator.counters().byPath[macsPath] == 1 }
            task.cancel()
            let result = try #require(await result(of: task))
            #expect(throws: MetadataError.cancelled) { try result.get() }
        }
    }

    /// As above: nothing but the shutdown can end the read in flight.
    @Test func shutdownFailsAReadInFlight() async throws {
        let fault = SimFault(path: macsPath, delayMs: 3_600_000)
        try await withSimulator(try sampleState(), faults: [fault], tokenMode: .off, configure: {
            $0.requestTimeout = .seconds(3600)
            $0.readBudget = .seconds(7200)
        }) { simulator, client in
            let task = Task { try await client.read() }
            try await waitUntil(timeout: .seconds(60)) { simulator.counters().byPath[macsPath] == 1 }
            await client.shutdown()
            let result = try #require(await result(of: task))
            #expect(throws: MetadataError.shutDown) { try result.get() }
        }
    }

    @Test func oneConnectionAtATimeStillReadsEverything() async throws {
        try await withSimulator(try sampleState(), configure: { $0.maxConcurrency = 1 }) { _, client in
            let network = try await client.read().network
            #expect(network == expectedSampleNetwork)
        }
    }
}

@Suite struct ClientTokens {
    @Test func anExpiredTokenIsRenewedOnceAndTheRequestRetried() async throws {
        try await withSimulator(try sampleState()) { simulator, client in
            _ = try await client.read()
            simulator.expireTokens()
            simulator.resetCounters()
            let read = try await client.read()
            #expect(read.network == expectedSampleNetwork)
            #expect(simulator.counters().tokenRequests == 1)
            // macs/ answered 401, the new token, macs/ again, then the twelve lists.
            #expect(read.requests == 1 + 1 + 1 + 12)
        }
    }

    @Test func theTokenIsUsedForHalfItsTTLThenRenewed() async throws {
        try await withSimulator(try sampleState(), configure: { $0.tokenTTL = 4 }) { simulator, client in
            let started = ContinuousClock.now
            _ = try await client.read()
            simulator.resetCounters()
            _ = try await client.read()
            let secondDone = ContinuousClock.now
            // Only meaningful when the machine was quick enough to stay inside the two seconds.
            if secondDone < started + .seconds(2) {
                #expect(simulator.counters().tokenRequests == 0)
            }
            // Time itself is the condition here: half of the four-second TTL has to pass since
            // the last token was asked for.
            try await Task.sleep(until: secondDone + .milliseconds(2100))
            simulator.resetCounters()
            let read = try await client.read()
            #expect(simulator.counters().tokenRequests == 1)
            #expect(read.requests == 1 + 13)
        }
    }

    @Test func requiredModeReadsAServiceThatRequiresTokens() async throws {
        var state = try sampleState()
        state.tokenMode = .required
        try await withSimulator(state, tokenMode: .required) { _, client in
            let network = try await client.read().network
            #expect(network == expectedSampleNetwork)
        }
    }

    @Test func requiredModeFailsTheReadWhenThePUTIsRefused() async throws {
        var state = try sampleState()
        state.tokenMode = .unsupported
        try await withSimulator(state, tokenMode: .required) { simulator, client in
            await #expect(throws: MetadataError.tokenRefused(status: 404)) { try await client.read() }
            #expect(simulator.counters().total == 1)
        }
    }

    @Test func autoFallsBackToTokenFreeRequestsWhenThePUTIs404() async throws {
        var state = try sampleState()
        state.tokenMode = .unsupported
        try await withSimulator(state) { simulator, client in
            let first = try await client.read()
            #expect(first.network == expectedSampleNetwork)
            #expect(first.diagnostics.map(\.key) == ["api/token"])
            simulator.resetCounters()
            let second = try await client.read()
            #expect(second.requests == 13)
            #expect(simulator.counters().tokenRequests == 0)
        }
    }

    @Test func autoDoesNotFallBackWhenThePUTFailsOtherwise() async throws {
        let fault = SimFault(path: "/latest/api/token", status: 500)
        try await withSimulator(try sampleState(), faults: [fault]) { _, client in
            await #expect(throws: MetadataError.self) { try await client.read() }
        }
    }

    @Test func offModeNeverAsksForAToken() async throws {
        try await withSimulator(try sampleState(), tokenMode: .off) { simulator, client in
            let network = try await client.read().network
            #expect(network == expectedSampleNetwork)
            #expect(simulator.counters().tokenRequests == 0)
        }
    }

    @Test func offModeAgainstAServiceThatRequiresTokensFailsTheRead() async throws {
        var state = try sampleState()
        state.tokenMode = .required
        try await withSimulator(state, tokenMode: .off) { _, client in
            await #expect(throws: MetadataError.unavailable(reason: "macs/: HTTP 403")) { try await client.read() }
        }
    }
}
