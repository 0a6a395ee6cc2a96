// SPDX-License-Identifier: Apache-2.0
// Carries out `SimCore`'s decisions on one HTTP/1.1 connection: collects a request, asks the
// core, then waits, answers or hangs up. NIO's server pipeline (with pipelining assistance)
// feeds requests one at a time, so a delayed answer holds back the next request on the same
// connection, as a real server would.

import NIOCore
import NIOHTTP1

final class SimHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Admin documents are small; a bigger body is a mistake worth a clear 413.
    static let maxRequestBody = 1 << 20

    private let core: SimCore
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var bodyTooLarge = false
    private var active = true

    /// Flush the response head before writing the body (`IMDSSimulator.Segmentation`).
    private let flushHead: Bool

    init(core: SimCore, flushHead: Bool = false) {
        self.core = core
        self.flushHead = flushHead
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = nil
            bodyTooLarge = false
        case .body(var chunk):
            if (body?.readableBytes ?? 0) + chunk.readableBytes > Self.maxRequestBody {
                bodyTooLarge = true
            } else if body == nil {
                body = chunk
            } else {
                body!.writeBuffer(&chunk)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            if bodyTooLarge {
                send(.plain(413, "request body over \(Self.maxRequestBody) bytes\n"), for: head, keepAlive: false, context: context)
                return
            }
            let reply = core.handle(SimRequest(method: head.method, uri: head.uri, headers: head.headers, body: body))
            body = nil
            if reply.delay > .zero {
                context.eventLoop.assumeIsolated().scheduleTask(in: reply.delay) {
                    // The client may have given up during the delay.
                    guard self.active else { return }
                    self.send(reply, for: head, keepAlive: head.isKeepAlive, context: context)
                }
            } else {
                send(reply, for: head, keepAlive: head.isKeepAlive, context: context)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        active = false
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func send(_ reply: SimReply, for request: HTTPRequestHead, keepAlive: Bool, context: ChannelHandlerContext) {
        guard case .respond(let status, var headers, let body) = reply.effect else {
            context.close(promise: nil)
            return
        }
        let version: HTTPVersion
        let closeAfter: Bool
        if reply.http10 {
            // No Content-Length: the body ends where the connection does.
            version = .http1_0
            closeAfter = true
            headers.remove(name: "Content-Length")
            headers.replaceOrAdd(name: "Connection", value: "close")
        } else {
            version = request.version
            closeAfter = !keepAlive
            headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes))
            if !keepAlive {
                headers.replaceOrAdd(name: "Connection", value: "close")
            } else if request.version == .http1_0 {
                headers.replaceOrAdd(name: "Connection", value: "keep-alive")
            }
        }
        headers.replaceOrAdd(name: "Server", value: "imds-sim")

        let responseHead = wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: headers)))
        if flushHead {
            context.writeAndFlush(responseHead, promise: nil)
        } else {
            context.write(responseHead, promise: nil)
        }
        if body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if closeAfter {
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}
