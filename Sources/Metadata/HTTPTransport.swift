// SPDX-License-Identifier: Apache-2.0
// HTTP/1.1 to the metadata service over NIOHTTP1's codec: our part is the request/response
// handler (body cap, no redirects, keep-alive decision), per-request timeouts and a small pool
// of keep-alive connections, kept from one read to the next while they are fresh.

import NIOCore
import NIOHTTP1
import NIOPosix
#if canImport(Glibc)
    import Glibc
#endif

struct HTTPResponse: Sendable {
    var status: Int
    var body: [UInt8]
    /// The server agreed to keep the connection open (HTTP/1.1 without `Connection: close`).
    var keepAlive: Bool

    /// For the metrics: `ok` (2xx), `not_found` (404: an optional key, or an ENI going away),
    /// `throttled` (429), `client_error` (other 4xx), `server_error` (5xx), else `other`.
    var outcome: String {
        switch status {
        case 200..<300: "ok"
        case 404: "not_found"
        case 429: "throttled"
        case 400..<500: "client_error"
        case 500..<600: "server_error"
        default: "other"
        }
    }
}

enum HTTPFailure: Error, Sendable, Hashable, CustomStringConvertible {
    case connect(String)
    case timeout
    /// The server closed the connection (or it broke) before a whole response arrived.
    case closed
    case tooLarge(limit: Int)
    case protocolViolation(String)
    case cancelled

    var description: String {
        switch self {
        case .connect(let why): "connect failed: \(why)"
        case .timeout: "request timed out"
        case .closed: "connection closed before a complete response"
        case .tooLarge(let limit): "body larger than \(limit) bytes"
        case .protocolViolation(let why): "bad HTTP response: \(why)"
        case .cancelled: "cancelled"
        }
    }

    /// For the metrics: `connect_error`, `timeout`, `closed`, `too_large`, `bad_response`, `cancelled`.
    var outcome: String {
        switch self {
        case .connect: "connect_error"
        case .timeout: "timeout"
        case .closed: "closed"
        case .tooLarge: "too_large"
        case .protocolViolation: "bad_response"
        case .cancelled: "cancelled"
        }
    }
}

/// A request handed to `ResponseHandler` through the pipeline, with the promise its response
/// completes.
struct PendingRequest: Sendable {
    var head: HTTPRequestHead
    var response: EventLoopPromise<HTTPResponse>
}

/// One request at a time per connection. The body is collected up to `maxBodyBytes`; past that
/// (or when Content-Length announces more) the request fails and the connection is closed,
/// so a 10 MB answer costs at most one socket read beyond the cap.
final class ResponseHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = PendingRequest
    typealias OutboundOut = HTTPClientRequestPart

    private let maxBodyBytes: Int
    private var pending: EventLoopPromise<HTTPResponse>?
    private var head: HTTPResponseHead?
    private var body: ByteBuffer?
    /// Failed, closed, or told to close: never carries another request.
    private var finished = false

    init(maxBodyBytes: Int) { self.maxBodyBytes = maxBodyBytes }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        guard pending == nil, !finished else {
            // Closed by the server (or by us) since it went back to the pool.
            let failure = HTTPFailure.closed
            request.response.fail(failure)
            promise?.fail(failure)
            return
        }
        pending = request.response
        head = nil
        body = nil
        context.write(wrapOutboundOut(.head(request.head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !finished else { return }
        guard let promise = pending else {
            return fail(context, .protocolViolation("response without a request"))
        }
        switch unwrapInboundIn(data) {
        case .head(let responseHead):
            if let length = responseHead.headers.first(name: "content-length").flatMap({ Int($0) }),
                length > maxBodyBytes
            {
                return fail(context, .tooLarge(limit: maxBodyBytes))
            }
            head = responseHead
            body = context.channel.allocator.buffer(capacity: 0)
        case .body(var chunk):
            guard head != nil else { return fail(context, .protocolViolation("body before head")) }
            if (body?.readableBytes ?? 0) + chunk.readableBytes > maxBodyBytes {
                return fail(context, .tooLarge(limit: maxBodyBytes))
            }
            body?.writeBuffer(&chunk)
        case .end:
            guard let responseHead = head else { return fail(context, .protocolViolation("end before head")) }
            let keepAlive = responseHead.isKeepAlive
            pending = nil
            finished = !keepAlive
            let bytes = body.map { Array($0.readableBytesView) } ?? []
            head = nil
            body = nil
            promise.succeed(HTTPResponse(status: Int(responseHead.status.code), body: bytes, keepAlive: keepAlive))
            if !keepAlive { context.close(promise: nil) }
        }
    }

    /// Acknowledge what arrived now rather than after the kernel's delayed-ACK timer (40 ms or
    /// more). A kept-alive connection is in the kernel's delayed-ACK ("pingpong") mode, and a
    /// server that sends an answer's head and body in separate segments with Nagle on (Python's
    /// `http.server` does) holds the body until the head is acknowledged: every request would
    /// wait for that timer. The kernel leaves quick-ACK mode again by itself, so it is asked for
    /// after every read. A failure only costs that latency, so it is not worth a report.
    func channelReadComplete(context: ChannelHandlerContext) {
        #if os(Linux)
            try? context.channel.syncOptions?.setOption(Self.quickAck, value: 1)
        #endif
        context.fireChannelReadComplete()
    }

    #if os(Linux)
        private static let quickAck = ChannelOptions.Types.SocketOption(
            level: .tcp, name: NIOBSDSocket.Option(rawValue: CInt(TCP_QUICKACK)))
    #endif

    func channelInactive(context: ChannelHandlerContext) {
        finished = true
        pending?.fail(HTTPFailure.closed)
        pending = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context, .protocolViolation("\(error)"))
    }

    private func fail(_ context: ChannelHandlerContext, _ failure: HTTPFailure) {
        finished = true
        pending?.fail(failure)
        pending = nil
        head = nil
        body = nil
        context.close(promise: nil)
    }
}

/// The connections of the metadata client: at most as many as requests in flight (the caller
/// bounds that), reused while the server keeps them alive, from one read to the next (at the
/// default 10 s poll, opening and closing up to `maxConcurrency` TCP connections was a tenth of
/// a quiet cycle's CPU). A connection idle for `maxIdleConnection` is closed rather than reused,
/// so a poll meets a connection the server (or a middlebox) may have forgotten only if it
/// forgot it within that time. A request that fails on a reused connection before any answer
/// is sent again once on a new one, as HTTP clients do for idempotent requests: a server may
/// close an idle connection just as the request leaves.
actor ConnectionPool {
    private var idle: [(channel: any Channel, since: ContinuousClock.Instant)] = []
    private var open: [ObjectIdentifier: any Channel] = [:]
    private var closed = false
    /// Requests written, retries and token PUTs included, since `beginRead()`.
    private(set) var requests = 0
    /// Connections opened since `beginRead()`.
    private(set) var connectionsOpened = 0
    /// Requests by outcome (`HTTPResponse.outcome`, `HTTPFailure.outcome`) since `beginRead()`.
    private(set) var outcomes: [String: Int] = [:]

    private let group: any EventLoopGroup
    private let host: String
    private let port: Int
    private let hostHeader: String
    private let maxBodyBytes: Int
    private let maxIdle: Duration
    private let clock = ContinuousClock()

    init(configuration: MetadataConfiguration, group: any EventLoopGroup) {
        self.group = group
        self.host = configuration.host
        self.port = configuration.port
        self.hostHeader = configuration.hostHeader
        self.maxBodyBytes = configuration.maxBodyBytes
        self.maxIdle = configuration.maxIdleConnection
    }

    /// Starts the counts of a read over, and closes the idle connections that are too old to
    /// reuse or that the server has closed.
    func beginRead() {
        requests = 0
        connectionsOpened = 0
        outcomes = [:]
        let now = clock.now
        closeIdle { channel, since in !channel.isActive || now - since >= maxIdle }
    }

    /// One request on an idle connection or a new one. `connectTimeout` bounds a new
    /// connection, `timeout` the request from write to the end of its body.
    func send(
        _ method: HTTPMethod, _ path: String, headers extra: [(String, String)],
        connectTimeout: Duration, timeout: Duration
    ) async -> Result<HTTPResponse, HTTPFailure> {
        var headers = HTTPHeaders([("Host", hostHeader), ("User-Agent", "eni-agent"), ("Accept", "*/*")])
        headers.add(contentsOf: extra)
        if method == .PUT { headers.add(name: "Content-Length", value: "0") }
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)
        var fresh = false
        while true {
            let channel: any Channel
            let reused: Bool
            switch await acquire(connectTimeout: connectTimeout, fresh: fresh) {
            case .success(let c): (channel, reused) = c
            case .failure(let failure): return .failure(failure)
            }
            requests += 1
            let result = await Self.execute(head, on: channel, timeout: timeout)
            switch result {
            case .success(let response): outcomes[response.outcome, default: 0] += 1
            case .failure(let failure): outcomes[failure.outcome, default: 0] += 1
            }
            release(channel, reusable: (try? result.get())?.keepAlive ?? false)
            if reused, case .failure(.closed) = result, !closed {
                fresh = true
                continue
            }
            // A kept connection that times out may have been forgotten by the service or a
            // middlebox; the others kept as long are suspect too: the retry starts afresh.
            if reused, case .failure(.timeout) = result { closeIdle { _, _ in true } }
            return result
        }
    }

    private func closeIdle(where shouldClose: (any Channel, ContinuousClock.Instant) -> Bool) {
        idle.removeAll { channel, since in
            guard shouldClose(channel, since) else { return false }
            open[ObjectIdentifier(channel)] = nil
            channel.close(promise: nil)
            return true
        }
    }

    /// Closes every connection, in use or idle; a request in flight fails with `.closed`.
    func closeAll() {
        closed = true
        idle = []
        let channels = open.values
        open = [:]
        for channel in channels { channel.close(promise: nil) }
    }

    /// An idle connection (reused: true) unless `fresh`, or a new one.
    private func acquire(connectTimeout: Duration, fresh: Bool) async -> Result<(any Channel, reused: Bool), HTTPFailure> {
        if closed { return .failure(.cancelled) }
        let now = clock.now
        while !fresh, let (channel, since) = idle.popLast() {
            if channel.isActive && now - since < maxIdle { return .success((channel, true)) }
            open[ObjectIdentifier(channel)] = nil
            channel.close(promise: nil)
        }
        let maxBodyBytes = self.maxBodyBytes
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(TimeAmount(connectTimeout))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseHandler(maxBodyBytes: maxBodyBytes))
                }
            }
        let channel: any Channel
        do {
            // The metadata service is an IP literal: connect to it directly, without a
            // getaddrinfo call and a Happy Eyeballs race for every connection.
            if let address = try? SocketAddress(ipAddress: host, port: port) {
                channel = try await bootstrap.connect(to: address).get()
            } else {
                channel = try await bootstrap.connect(host: host, port: port).get()
            }
        } catch ChannelError.connectTimeout {
            return .failure(.connect("no connection to \(hostHeader) within \(connectTimeout)"))
        } catch {
            return .failure(.connect("\(hostHeader): \(error)"))
        }
        // closeAll() may have run while connecting.
        guard !closed else {
            channel.close(promise: nil)
            return .failure(.cancelled)
        }
        open[ObjectIdentifier(channel)] = channel
        connectionsOpened += 1
        return .success((channel, false))
    }

    private func release(_ channel: any Channel, reusable: Bool) {
        if reusable && channel.isActive && !closed {
            idle.append((channel, clock.now))
        } else {
            open[ObjectIdentifier(channel)] = nil
            channel.close(promise: nil)
        }
    }

    private static func execute(
        _ head: HTTPRequestHead, on channel: any Channel, timeout: Duration
    ) async -> Result<HTTPResponse, HTTPFailure> {
        let promise = channel.eventLoop.makePromise(of: HTTPResponse.self)
        let timer = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            promise.fail(HTTPFailure.timeout)
            channel.close(promise: nil)
        }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        channel.writeAndFlush(PendingRequest(head: head, response: promise)).whenFailure { _ in
            promise.fail(HTTPFailure.closed)
        }
        return await withTaskCancellationHandler {
            do {
                return .success(try await promise.futureResult.get())
            } catch let failure as HTTPFailure {
                return .failure(failure)
            } catch {
                return .failure(.protocolViolation("\(error)"))
            }
        } onCancel: {
            promise.fail(HTTPFailure.cancelled)
            channel.close(promise: nil)
        }
    }
}
