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
        if AddressMarks.ignored {
            logger.notice("test switch \(AddressMarks.testSwitch)=1: IFA_PROTO is neither written nor read, as on a kernel before Linux 6.1; ownership of addresses rests on the state file alone")
        }
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
    /// Reads the kernel now, and annotates it with the state file the caller read (`state`), or
    /// says why it could not be read (`stateError`).
    public static func current(config: AgentConfig, state: PersistedState?, stateError: String?) async throws -> StatusReport {
        let kernel = try await NetlinkClient().snapshot()
        var report = build(kernel: kernel, state: state, config: config.plan, stateFile: StateStore(directory: config.stateDirectory).path)
        report.stateError = stateError
        return report
    }
}

/// The `ACTION=` journald field's values, for the CLI's JSON output too.
public enum ChangeAction {
    public static func name(_ op: Op) -> String { ChangeLog.action(op) }
}
