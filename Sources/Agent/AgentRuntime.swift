public import Logging
import Metadata
public import Model
import Netlink
import NIOPosix

/// The I/O the engine needs, opened once: a netlink socket and one event-loop thread for the
/// metadata client (one is plenty for a handful of small link-local requests, and each thread
/// costs resident memory on every instance). The daemon's tasks run on that thread too
/// (`executor`), so that a poll does not hop between it and the concurrency pool.
public final class AgentRuntime: Sendable {
    public let engine: SyncEngine
    let group: MultiThreadedEventLoopGroup
    let executor: LoopExecutor

    public init(config: AgentConfig, logger: Logger) throws {
        let netlink = try NetlinkClient()
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        executor = LoopExecutor(group.next())
        let metadata = MetadataClient(configuration: config.metadata, group: group)
        engine = SyncEngine(config: config, netlink: netlink, metadata: metadata, logger: logger)
    }

    /// After a reload: a client for the (possibly) new endpoint and token mode.
    func reconfigureMetadata(_ configuration: MetadataConfiguration) async {
        await engine.replaceMetadata(MetadataClient(configuration: configuration, group: group))
    }

    public func shutdown() async {
        await engine.shutdown()
        try? await group.shutdownGracefully()
    }
}

extension StatusReport {
    /// Reads the kernel and the state file now.
    public static func current(config: AgentConfig) async throws -> StatusReport {
        let kernel = try await NetlinkClient().snapshot()
        let store = StateStore(directory: config.stateDirectory)
        let state = try? store.load()
        return build(kernel: kernel, state: state ?? nil, config: config.plan, stateFile: store.path)
    }
}

/// The `ACTION=` journald field's values, for the CLI's JSON output too.
public enum ChangeAction {
    public static func name(_ op: Op) -> String { ChangeLog.action(op) }
}
