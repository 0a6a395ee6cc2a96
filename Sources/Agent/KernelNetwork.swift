// SPDX-License-Identifier: Apache-2.0
public import Model
import Netlink

/// The kernel as the sync cycle sees it: read whole, changed op by op. `NetlinkKernel` is the
/// real one; the Agent tests give the engine an in-memory model instead.
public protocol KernelNetwork: Sendable {
    /// Links, addresses, routes of every table and rules of both families, in one read.
    func snapshot() async throws -> KernelState
    /// Applies each op in order; one result per op, and one failure never stops the others.
    func apply(_ ops: [Op]) async -> [OpResult]
}

/// rtnetlink through `NetlinkClient`, run on the blocking thread: a dump or an apply waits in
/// recvmsg() for the kernel, and must not hold up the event loop that carries the metadata
/// requests and the loop's timers (docs/design.md §5).
final class NetlinkKernel: KernelNetwork {
    private let client: NetlinkClient
    private let thread: BlockingThread

    init(client: NetlinkClient, thread: BlockingThread) {
        self.client = client
        self.thread = thread
    }

    // `NetlinkClient` is a default actor: under a task executor preference its methods run on
    // that executor, here the blocking thread.
    func snapshot() async throws -> KernelState {
        try await withTaskExecutorPreference(thread) { try await client.snapshot() }
    }

    func apply(_ ops: [Op]) async -> [OpResult] {
        await withTaskExecutorPreference(thread) { await client.apply(ops) }
    }
}
