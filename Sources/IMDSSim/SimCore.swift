// SPDX-License-Identifier: Apache-2.0
// The simulator's mutable heart: state, faults, tokens and counters behind one lock, and the
// decision of what to answer to each request. The HTTP layer only carries out that decision.

import NIOCore
import NIOHTTP1
import Synchronization

/// A request as the HTTP layer hands it over, body already collected.
struct SimRequest: Sendable {
    var method: HTTPMethod
    var uri: String
    var headers: HTTPHeaders
    var body: ByteBuffer?
}

/// What to do with one request: wait, then answer or hang up.
struct SimReply: Sendable {
    enum Effect: Sendable {
        case respond(status: HTTPResponseStatus, headers: HTTPHeaders, body: ByteBuffer)
        /// Close the connection without a byte of answer.
        case drop
    }

    var delay: TimeAmount = .zero
    var effect: Effect
    /// Frame the answer as HTTP/1.0 without Content-Length and close to end it.
    var http10 = false

    static func respond(_ status: Int, contentType: String?, body: ByteBuffer) -> SimReply {
        var headers = HTTPHeaders()
        if let contentType { headers.add(name: "Content-Type", value: contentType) }
        return SimReply(effect: .respond(status: HTTPResponseStatus(statusCode: status), headers: headers, body: body))
    }

    static func rendered(_ r: Rendered) -> SimReply {
        respond(r.status, contentType: r.contentType, body: ByteBuffer(string: r.body))
    }
}

final class SimCore: Sendable {
    static let tokenHeader = "X-aliyun-ecs-metadata-token"
    static let ttlHeader = "X-aliyun-ecs-metadata-token-ttl-seconds"
    static let maxTTL = 21600
    static let oversizeBytes = 10 << 20

    struct Inner {
        var state: SimState
        var faults: [SimFault]
        /// Issued tokens and when each stops being valid.
        var tokens: [String: NIODeadline] = [:]
        var counters = SimCounters()
    }

    let inner: Mutex<Inner>

    init(state: SimState, faults: [SimFault]) {
        inner = Mutex(Inner(state: state, faults: faults))
    }

    func handle(_ request: SimRequest, now: NIODeadline = .now()) -> SimReply {
        let path = IMDSPath.path(ofURI: request.uri)
        if path == "/_sim" || path.hasPrefix("/_sim/") {
            return admin(request, path: path)
        }
        return metadata(request, path: path, now: now)
    }

    // MARK: metadata

    private func metadata(_ request: SimRequest, path: String, now: NIODeadline) -> SimReply {
        let canonical = IMDSPath.canonical(path)
        let isTokenRequest = canonical == IMDSPath.tokenPath
        let (fault, normal) = inner.withLock { inner -> (SimFault?, Rendered?) in
            inner.counters.total += 1
            inner.counters.byPath[path, default: 0] += 1
            if isTokenRequest { inner.counters.tokenRequests += 1 }

            var fault: SimFault?
            if let index = inner.faults.firstIndex(where: {
                $0.matches(method: request.method.rawValue, canonicalPath: canonical)
            }) {
                fault = inner.faults[index]
                if let times = inner.faults[index].times { inner.faults[index].times = times - 1 }
            }
            // A fault that replaces the answer also replaces its side effects (no token issued).
            if let fault, fault.replacesAnswer { return (fault, nil) }
            let normal =
                isTokenRequest
                ? Self.issueToken(&inner, request, now: now)
                : Self.answerGet(inner, request, canonicalPath: canonical, now: now)
            return (fault, normal)
        }

        // `normal` is nil only when a fault replaced it.
        var reply = normal.map(SimReply.rendered) ?? fault.map(Self.replacement) ?? .rendered(.notFound)
        if let fault {
            reply.delay = .milliseconds(Int64(fault.delayMs ?? 0))
            reply.http10 = fault.http10
        }
        return reply
    }

    private static func replacement(for fault: SimFault) -> SimReply {
        if fault.drop { return SimReply(effect: .drop) }
        if fault.garbage {
            return .respond(200, contentType: "application/octet-stream", body: ByteBuffer(bytes: garbage()))
        }
        if fault.oversize {
            return .respond(
                200, contentType: "text/plain", body: ByteBuffer(repeating: UInt8(ascii: "x"), count: oversizeBytes))
        }
        let status = fault.status ?? 200
        if let body = fault.body {
            return .respond(status, contentType: "text/plain", body: ByteBuffer(string: body))
        }
        return .rendered(.error(status, HTTPResponseStatus(statusCode: status).reasonPhrase))
    }

    private static func issueToken(_ inner: inout Inner, _ request: SimRequest, now: NIODeadline) -> Rendered {
        if inner.state.tokenMode == .unsupported { return .notFound }
        guard request.method == .PUT else { return .error(405, "Method Not Allowed") }
        if request.headers.contains(name: "X-Forwarded-For") { return .error(403, "Forbidden") }
        guard let raw = request.headers.first(name: ttlHeader), let ttl = Int(raw), (1...maxTTL).contains(ttl)
        else { return .error(400, "Bad Request") }
        inner.tokens = inner.tokens.filter { $0.value > now }
        let token = randomToken()
        inner.tokens[token] = now + .seconds(Int64(ttl))
        return .text(token)
    }

    private static func answerGet(
        _ inner: Inner, _ request: SimRequest, canonicalPath: String, now: NIODeadline
    ) -> Rendered {
        guard request.method == .GET else { return .error(405, "Method Not Allowed") }
        if inner.state.tokenMode != .unsupported {
            if let token = request.headers.first(name: tokenHeader) {
                guard let expiry = inner.tokens[token], expiry > now else { return .error(401, "Unauthorized") }
            } else if inner.state.tokenMode == .required {
                return .error(403, "Forbidden")
            }
        }
        return MetadataRenderer.render(path: canonicalPath, state: inner.state)
    }

    private static func randomToken() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-".utf8)
        var rng = SystemRandomNumberGenerator()
        return String(decoding: (0..<56).map { _ in alphabet.randomElement(using: &rng)! }, as: UTF8.self)
    }

    /// Bytes that never occur in UTF-8 (C0, C1, F5...FF), so the body can never decode as text.
    private static func garbage() -> [UInt8] {
        let neverUTF8: [UInt8] = [0xC0, 0xC1] + Array(0xF5...0xFF)
        var rng = SystemRandomNumberGenerator()
        return (0..<256).map { _ in neverUTF8.randomElement(using: &rng)! }
    }
}

extension SimFault {
    /// Whether the fault answers in place of the simulated service (rather than only delaying or
    /// reframing its answer).
    var replacesAnswer: Bool { drop || garbage || oversize || status != nil || body != nil }
}
