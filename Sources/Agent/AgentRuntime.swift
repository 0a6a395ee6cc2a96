// SPDX-License-Identifier: Apache-2.0
public import Logging
import Metadata
public import Model
import Netlink
import NIOPosix

/// The I/O the engine needs, opened once: a netlink socket served by a thread of its own for
/// the blocking calls, and one event-loop thread for the metadata client (one is plenty for a
/// handful of small link-local requests, and each thread costs memory on every instance). The
/// daemon's loop runs on that event loop too (`executor`), so that a poll does not hop between
/// it and the concurrency pool.
public final class AgentRuntime: Sendable {
    public let engine: SyncEngine
    let group: MultiThreadedEventLoopGroup
    let executor: LoopExecutor
    let blocking: BlockingThread

    public init(config: AgentConfig, logger: Logger) throws {
        let client = try NetlinkClient()
        blocking = BlockingThread()
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        executor = LoopExecutor(group.next())
        let group = group
        engine = SyncEngine(config: config, kernel: NetlinkKernel(client: client, thread: blocking),
                            metadata: { MetadataClient(configuration: $0, group: group) }, io: blocking, logger: logger)
    }

    public func shutdown() async {
        await engine.shutdown()
        await blocking.shutdown()
        try? await group.shutdownGracefully()
    }
}

extension StatusReport {
    /// Reads the kernel and the state file now.
    public static func current(config: AgentConfig) async throws -> StatusReport {
        let kernel = try await NetlinkClient().snapshot()
        let store = StateStore(directory: config.stateDirectory)
        let state: PersistedState?
        var stateError: String?
        do {
            state = try store.load()
        } catch {
            state = nil
            stateError = "\(error)"
        }
        var report = build(kernel: kernel, state: state, config: config.plan, stateFile: store.path)
        report.stateError = stateError
        return report
    }
}

/// The `ACTION=` journald field's values, for the CLI's JSON output too.
public enum ChangeAction {
    public static func name(_ op: Op) -> String { ChangeLog.action(op) }
}
