// SPDX-License-Identifier: Apache-2.0
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
            // macs/ and four lists per ENI; the token and the stable keys are cached.
            #expect(second.requests == 1 + 4 * 3)
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
            #expect(read.requests == 1 + 1 + 4 * 3)
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

    /// A server that sends an answer's head and body in separate segments with Nagle on holds
    /// the body until the head is acknowledged. On a kept-alive connection the kernel delays
    /// that ACK (40 ms at least, TCP_DELACK_MIN) unless the client asks for a quick one, which
    /// made every request of a read cost 40 ms. The bound is the kernel's constant, not a
    /// performance goal: a median below it means no request waited for a delayed ACK.
    @Test func answersSplitIntoHeadAndBodySegmentsDoNotWaitForADelayedAck() async throws {
        try await withSimulator(try sampleState(), segmentation: .headThenBody,
                                configure: { $0.maxConcurrency = 1 }) { _, client in
            _ = try await client.read()
            var perRequest: [Duration] = []
            for _ in 0..<7 {
                let started = ContinuousClock.now
                let read = try await client.read()
                let elapsed = ContinuousClock.now - started
                #expect(read.network == expectedSampleNetwork)
                #expect(read.connections == 0, "the read reused the kept connection")
                perRequest.append(elapsed / read.requests)
            }
            let median = perRequest.sorted()[perRequest.count / 2]
            print("[measure] split head/body answers on a kept connection: median \(median) per request")
            #expect(median < .milliseconds(40), "median \(median) per request: requests waited for delayed ACKs")
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
