// SPDX-License-Identifier: Apache-2.0
// A deliberately small HTTP/1.1 client over NIO for these tests: one connection, requests in
// sequence, every response collected whole. It must not use the `Metadata` module, whose client
// these tests exist to keep honest.

import IMDSSim
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

struct TestResponse: Sendable {
    var version: HTTPVersion
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
    var contentType: String? { headers.first(name: "Content-Type") }
}

enum Endpoint: Sendable {
    case tcp(port: Int)
    case unix(path: String)
}

/// The connection ended before a whole response arrived (e.g. a `drop` fault).
struct ConnectionClosed: Error {}

/// One open connection; requests are sent one after the other on it.
final class TestConnection {
    private var inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>

    init(
        inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>,
        outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>
    ) {
        self.inbound = inbound.makeAsyncIterator()
        self.outbound = outbound
    }

    func request(
        _ path: String, method: HTTPMethod = .GET, headers: [(String, String)] = [], body: String? = nil
    ) async throws -> TestResponse {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: "imds-sim")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        if let body { head.headers.add(name: "Content-Length", value: String(body.utf8.count)) }
        try await outbound.write(.head(head))
        if let body { try await outbound.write(.body(.byteBuffer(ByteBuffer(string: body)))) }
        try await outbound.write(.end(nil))

        var response: TestResponse?
        while let part = try await inbound.next() {
            switch part {
            case .head(let h):
                response = TestResponse(version: h.version, status: Int(h.status.code), headers: h.headers, body: [])
            case .body(let buffer):
                response?.body += buffer.readableBytesView
            case .end:
                if let response { return response }
            }
        }
        throw ConnectionClosed()
    }

    /// True once the peer has closed the connection (nothing more will arrive).
    func peerClosed() async throws -> Bool {
        try await inbound.next() == nil
    }
}

@discardableResult
func withConnection<R>(
    _ endpoint: Endpoint, _ body: (TestConnection) async throws -> R
) async throws -> R {
    let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connectTimeout(.seconds(5))
    let initializer: @Sendable (any Channel) -> EventLoopFuture<NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>> = {
        channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHTTPClientHandlers()
            return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
        }
    }
    let channel =
        switch endpoint {
        case .tcp(let port): try await bootstrap.connect(host: "127.0.0.1", port: port, channelInitializer: initializer)
        case .unix(let path): try await bootstrap.connect(unixDomainSocketPath: path, channelInitializer: initializer)
        }
    return try await channel.executeThenClose { inbound, outbound in
        try await body(TestConnection(inbound: inbound, outbound: outbound))
    }
}

/// One request on a fresh connection.
func fetch(
    _ endpoint: Endpoint, _ path: String, method: HTTPMethod = .GET,
    headers: [(String, String)] = [], body: String? = nil
) async throws -> TestResponse {
    try await withConnection(endpoint) { try await $0.request(path, method: method, headers: headers, body: body) }
}

/// A started in-process simulator, stopped when `body` returns or throws.
@discardableResult
func withSimulator<R>(
    _ state: SimState = .sample, faults: [SimFault] = [], unixSocket: String? = nil,
    _ body: (IMDSSimulator, Endpoint) async throws -> R
) async throws -> R {
    let sim = IMDSSimulator(state: state, faults: faults)
    let port = try await sim.start(unixSocket: unixSocket)
    do {
        let result = try await body(sim, .tcp(port: port))
        try await sim.stop()
        return result
    } catch {
        try? await sim.stop()
        throw error
    }
}

/// Polls `condition` until it holds or `seconds` pass; returns whether it held.
func eventually(within seconds: Double = 5, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}
