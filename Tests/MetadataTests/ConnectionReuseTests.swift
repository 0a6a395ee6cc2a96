// Keep-alive connections from one read to the next: the next poll reuses them while they are
// fresh, and a connection the server closes under a request costs a silent resend, not a retry.

import IMDSSim
import Metadata
import Testing

@Suite struct ConnectionReuse {
    @Test func theNextReadReusesTheLastReadsConnections() async throws {
        try await withSimulator(try sampleState()) { _, client in
            let first = try await client.read()
            #expect(first.connections >= 1)
            let second = try await client.read()
            #expect(second.network == expectedSampleNetwork)
            #expect(second.connections == 0)
            // macs/ and two lists per ENI; the token and the stable keys are cached.
            #expect(second.requests == 1 + 2 * 3)
        }
    }

    @Test func aConnectionClosedAsTheRequestArrivesIsReplacedWithoutAReportedRetry() async throws {
        try await withSimulator(try sampleState()) { simulator, client in
            _ = try await client.read()
            // The next request (macs/, the first of the read) meets a server that closes the
            // connection without answering: what a keep-alive timeout looks like from here.
            simulator.setFaults([SimFault(path: macsPath, drop: true, times: 1)])
            let read = try await client.read()
            #expect(read.network == expectedSampleNetwork)
            #expect(read.diagnostics.isEmpty)
            #expect(read.connections == 1)
            #expect(read.requests == 1 + 1 + 2 * 3)
            #expect(simulator.faults().first?.times == 0)
        }
    }

    @Test func aDropOnANewConnectionIsStillARetryWithItsDiagnostic() async throws {
        // No token: macs/ is the read's first request, on a connection just opened.
        try await withSimulator(try sampleState(), faults: [SimFault(path: macsPath, drop: true, times: 1)], tokenMode: .off) { _, client in
            let read = try await client.read()
            #expect(read.network == expectedSampleNetwork)
            #expect(read.diagnostics.count == 1)
            #expect(read.diagnostics.first?.problem.hasPrefix("answered after 2 attempts") == true)
        }
    }

    @Test func aTimeoutOnAKeptConnectionSendsTheRetryOnANewOne() async throws {
        try await withSimulator(try sampleState(), configure: { $0.requestTimeout = .seconds(1) }) { simulator, client in
            _ = try await client.read()
            // A kept connection that stops answering, as one a middlebox forgot would.
            simulator.setFaults([SimFault(path: macsPath, delayMs: 3_000, times: 1)])
            let read = try await client.read()
            #expect(read.network == expectedSampleNetwork)
            // The other kept connections (as old, as suspect) were closed too: the retry and the
            // ENI keys' concurrent requests went out on new ones. Had only the one that timed out
            // been replaced, this read would have opened exactly one.
            #expect(read.connections > 1)
            #expect(read.diagnostics.first?.problem.hasPrefix("answered after 2 attempts") == true)
        }
    }

    @Test func connectionsIdleLongerThanTheLimitAreNotReused() async throws {
        try await withSimulator(try sampleState(), configure: { $0.maxIdleConnection = .milliseconds(50) }) { _, client in
            _ = try await client.read()
            try await Task.sleep(for: .milliseconds(150))
            let read = try await client.read()
            #expect(read.network == expectedSampleNetwork)
            #expect(read.connections >= 1)
        }
    }

    @Test func aFailedReadLeavesNoConnectionForTheNext() async throws {
        try await withSimulator(try sampleState()) { simulator, client in
            _ = try await client.read()
            simulator.setFaults([SimFault(path: macsPath, status: 404)])
            await #expect(throws: MetadataError.self) { try await client.read() }
            simulator.setFaults([])
            let read = try await client.read()
            #expect(read.network == expectedSampleNetwork)
            #expect(read.connections >= 1)
        }
    }
}
