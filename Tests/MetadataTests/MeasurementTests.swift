// Not assertions on time: prints what a read costs against the in-process simulator on
// loopback, for the report (`swift test --filter Measurements`).

import IMDSSim
import Metadata
import Testing

@Suite struct Measurements {
    @Test func coldAndSteadyReadsOf32ENIsArePrinted() async throws {
        var cold: [Duration] = []
        var steady: [Duration] = []
        var requests: (cold: Int, steady: Int) = (0, 0)
        try await withSimulator(generatedState(enis: 32), configure: { $0 = MetadataConfiguration(host: $0.host, port: $0.port) }) { _, client in
            for _ in 0..<7 {
                await client.invalidateCache()
                let read = try await client.read()
                #expect(read.network.isComplete)
                cold.append(read.duration)
                requests.cold = read.requests
                let again = try await client.read()
                steady.append(again.duration)
                requests.steady = again.requests
            }
        }
        func median(_ values: [Duration]) -> Duration { values.sorted()[values.count / 2] }
        print("32 ENIs, loopback, maxConcurrency 4: cold read \(requests.cold) requests, median \(median(cold)) (of \(cold.count): \(cold.sorted())); steady read \(requests.steady) requests, median \(median(steady))")
        #expect(requests.steady == 65)
    }
}
