// SPDX-License-Identifier: Apache-2.0
#if canImport(Glibc)
import Glibc
#endif
public import Model
import Netlink
import Synchronization

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
        if let limit = KillSwitch.opsLeft(ops.count) {
            _ = await withTaskExecutorPreference(thread) { await client.apply(Array(ops.prefix(limit))) }
            KillSwitch.fire()
        }
        return await withTaskExecutorPreference(thread) { await client.apply(ops) }
    }
}

/// For tests only (docs/design.md §8), never a setting: with `ENIAGENT_TEST_KILL_AFTER_OPS=n` in
/// its environment the process sends itself SIGKILL once the kernel has applied its n-th op,
/// counted over the process's life. That is a `kill -9` at a chosen point in the middle of an
/// apply, with no timing involved: what the kernel got before it stays, nothing after it runs
/// (no log line, no state file write).
enum KillSwitch {
    static let variable = "ENIAGENT_TEST_KILL_AFTER_OPS"
    /// Read once, at first use.
    private static let limit: Int? = getenv(variable).flatMap { Int(String(cString: $0)) }.flatMap { $0 >= 0 ? $0 : nil }
    private static let applied = Mutex(0)

    /// How many of the next `count` ops to apply before firing; nil: all of them, no firing.
    static func opsLeft(_ count: Int) -> Int? {
        guard let limit else { return nil }
        return applied.withLock { applied in
            let left = limit - applied
            applied += min(count, max(left, 0))
            return count > left ? max(left, 0) : nil
        }
    }

    static func fire() -> Never {
        kill(getpid(), SIGKILL)
        // SIGKILL cannot be caught: the process is gone before this line.
        abort()
    }
}
