// SPDX-License-Identifier: Apache-2.0
// The simulator as a library: tests of other modules run it in-process and change its state and
// faults directly; the `imds-sim` executable and the admin API are thin layers over these calls.

public import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// An in-process IMDS simulator serving the metadata contract (docs/metadata.md) from a `SimState`.
///
/// ```swift
/// let sim = IMDSSimulator(state: state)
/// let port = try await sim.start()          // 127.0.0.1, ephemeral port
/// // ... http://127.0.0.1:\(port)/latest/meta-data/...
/// sim.setFaults([SimFault(path: "/latest/meta-data/network/interfaces/macs/*", status: 500, times: 2)])
/// try await sim.stop()
/// ```
public final class IMDSSimulator: Sendable {
    private struct Listeners {
        var servers: [any Channel] = []
        /// Open client connections, so `stop()` does not leave keep-alive connections behind.
        var connections: [ObjectIdentifier: any Channel] = [:]
        var port: Int?
        var unixSocket: String?
        var started = false
        var stopped = false
    }

    /// How answers leave on TCP.
    public enum Segmentation: Sendable {
        /// Head and body in one write, Nagle off: small answers leave in one segment.
        case whole
        /// Head and body in separate writes with Nagle on, as Python's `http.server` sends them:
        /// the body waits until the client acknowledges the head. A client that delays that ACK
        /// (a kept-alive connection in the kernel's delayed-ACK mode) waits with it, ~40 ms.
        case headThenBody
    }

    private let core: SimCore
    private let group: any EventLoopGroup
    private let segmentation: Segmentation
    private let listeners = Mutex(Listeners())

    public init(
        state: SimState = SimState(), faults: [SimFault] = [],
        segmentation: Segmentation = .whole, group: (any EventLoopGroup)? = nil
    ) {
        core = SimCore(state: state, faults: faults)
        self.segmentation = segmentation
        // NIO's shared group by default: tests start many simulators and none should own threads.
        self.group = group ?? MultiThreadedEventLoopGroup.singleton
    }

    /// Binds TCP on `host:port` (0 = ephemeral) and, if given, a Unix domain socket at
    /// `unixSocket` serving the same metadata and admin paths (a socket file left there by an
    /// earlier process is replaced; any other file is an error). Returns the bound TCP port.
    /// A simulator starts once; make a new one to start again.
    @discardableResult
    public func start(host: String = "127.0.0.1", port: Int = 0, unixSocket: String? = nil) async throws -> Int {
        let alreadyStarted = listeners.withLock { l in
            defer { l.started = true }
            return l.started
        }
        if alreadyStarted { throw SimError("this simulator was already started; make a new one") }

        let tcp = try await bootstrap(tcp: true).bind(host: host, port: port).get()
        var servers = [tcp]
        if let unixSocket {
            do {
                servers.append(
                    try await bootstrap(tcp: false)
                        .bind(unixDomainSocketPath: unixSocket, cleanupExistingSocketFile: true).get())
            } catch {
                try? await tcp.close()
                throw error
            }
        }
        let bound = tcp.localAddress?.port ?? port
        listeners.withLock {
            $0.servers = servers
            $0.port = bound
            $0.unixSocket = unixSocket
        }
        return bound
    }

    /// The bound TCP port, once started.
    public var port: Int? { listeners.withLock { $0.port } }

    /// The Unix socket path, once started with one.
    public var unixSocketPath: String? { listeners.withLock { $0.unixSocket } }

    /// Closes the listeners and every open connection, and removes the Unix socket file.
    public func stop() async throws {
        let (servers, connections, unixSocket) = listeners.withLock { l in
            l.stopped = true
            defer {
                l.servers = []
                l.connections = [:]
            }
            return (l.servers, Array(l.connections.values), l.unixSocket)
        }
        for server in servers { try? await server.close() }
        for connection in connections { try? await connection.close() }
        if let unixSocket { unlink(unixSocket) }
    }

    // MARK: state, faults, tokens, counters

    /// The document being served.
    public func state() -> SimState { core.state() }

    /// Replaces the document. Not validated, so a test may serve duplicate MACs on purpose.
    public func setState(_ state: SimState) { core.setState(state) }

    /// Adds the ENI, or replaces the one with the same MAC (ignoring case) in place.
    public func upsertENI(_ eni: SimENI) { core.upsertENI(eni) }

    /// Removes the ENI with this MAC (ignoring case); false when there was none.
    @discardableResult
    public func removeENI(mac: String) -> Bool { core.removeENI(mac: mac) }

    public func setTokenMode(_ mode: TokenMode) { core.setTokenMode(mode) }

    /// The faults, with `times` showing how many matching requests each still applies to.
    public func faults() -> [SimFault] { core.faults() }

    /// Replaces the fault list; the first fault matching a request wins.
    public func setFaults(_ faults: [SimFault]) { core.setFaults(faults) }

    public func clearFaults() { core.setFaults([]) }

    /// Invalidates every issued token: the next GET carrying one is 401.
    public func expireTokens() { core.expireTokens() }

    /// Metadata requests seen since start or the last reset.
    public func counters() -> SimCounters { core.counters() }

    public func resetCounters() { core.resetCounters() }

    // MARK: NIO

    private func bootstrap(tcp: Bool) -> ServerBootstrap {
        let core = self.core
        let flushHead = segmentation == .headThenBody
        var bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [weak self] channel in
                self?.track(channel)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(SimHTTPHandler(core: core, flushHead: flushHead))
                }
            }
        if tcp {
            // Small answers: Nagle would only add latency to every keep-alive request (and it is
            // what `.headThenBody` wants to reproduce).
            bootstrap = bootstrap.childChannelOption(.tcpOption(.tcp_nodelay), value: flushHead ? 0 : 1)
        }
        return bootstrap
    }

    private func track(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        let accepted = listeners.withLock { l in
            if l.stopped { return false }
            l.connections[id] = channel
            return true
        }
        guard accepted else {
            channel.close(promise: nil)
            return
        }
        channel.closeFuture.whenComplete { [weak self] _ in
            _ = self?.listeners.withLock { $0.connections.removeValue(forKey: id) }
        }
    }
}
