// SPDX-License-Identifier: Apache-2.0
public import Metadata

/// The instance metadata as the sync cycle sees it: one read of the whole network, or an error
/// that means "nothing usable" (removals then wait). `MetadataClient` is the real one; the Agent
/// tests script reads and failures instead.
public protocol MetadataSource: Sendable {
    func read() async throws -> MetadataRead
    /// Fails a read in flight and every later one.
    func shutdown() async
    /// The HTTP requests sent since the last call, by outcome (for the metrics), and forgets them.
    func takeRequestOutcomes() async -> [String: Int]
}

extension MetadataSource {
    public func takeRequestOutcomes() async -> [String: Int] { [:] }
}

extension MetadataClient: MetadataSource {}
