// SPDX-License-Identifier: Apache-2.0
// Not assertions on time: prints what a read costs against the in-process simulator on
// loopback, for the report (`swift test --filter Measurements`).

import IMDSSim
import Metadata
import Testing

@Suite struct Measurements {
    @Test func coldAndSteadyReadsOf32ENIsArePrinted() async throws {
        var cold: [Duration] = []
        var steady: [Duration] = []
        var counts = (first: 0, cold: 0, steady: 0, connections: 0)
        var first = Duration.zero
        let production = { (c: inout MetadataConfiguration) in c = MetadataConfiguration(host: c.host, port: c.port) }
        try await withSimulator(generatedState(enis: 32), configure: production) { _, client in
            let initial = try await client.read()
            (first, counts.first) = (initial.duration, initial.requests)
            for _ in 0..<9 {
                await client.invalidateCache()
                let read = try await client.read()
                #expect(read.network.isComplete)
                cold.append(read.duration)
                (counts.cold, counts.connections) = (read.requests, read.connections)
                let again = try await client.read()
                steady.append(again.duration)
                counts.steady = again.requests
            }
        }
        func median(_ values: [Duration]) -> Duration { values.sorted()[values.count / 2] }
        func ms(_ d: Duration) -> String {
            let (s, a) = d.components
            return String(Double(s) * 1000 + Double(a) / 1e15) + " ms"
        }
        print("""
            [measurement] 32 ENIs on loopback, default configuration (maxConcurrency 4):
              first read (token PUT + everything): \(counts.first) requests, \(ms(first))
              cold read (caches dropped, token kept): \(counts.cold) requests on \(counts.connections) connections, \
            median \(ms(median(cold))) of \(cold.count) (min \(ms(cold.min()!)), max \(ms(cold.max()!)))
              steady read: \(counts.steady) requests, median \(ms(median(steady)))
            """)
        #expect(counts.steady == 129)
    }
}
