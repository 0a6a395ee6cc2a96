// SPDX-License-Identifier: Apache-2.0
// The admin API under `/_sim/` (imds-contract.md, "Admin API"): a thin HTTP layer over the same
// operations `IMDSSimulator` offers in-process. Never faulted, never counted.

import FoundationEssentials
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension SimCore {
    // MARK: operations shared by the admin API and the in-process API

    func state() -> SimState { inner.withLock { $0.state } }
    func setState(_ state: SimState) { inner.withLock { $0.state = state } }
    func upsertENI(_ eni: SimENI) { inner.withLock { $0.state.upsert(eni) } }
    func removeENI(mac: String) -> Bool { inner.withLock { $0.state.remove(mac: mac) } }
    func changePrefixes(mac: String, add: [String], remove: [String]) -> Bool {
        inner.withLock { $0.state.changePrefixes(mac: mac, add: add, remove: remove) }
    }
    func setTokenMode(_ mode: TokenMode) { inner.withLock { $0.state.tokenMode = mode } }
    func faults() -> [SimFault] { inner.withLock { $0.faults } }
    func setFaults(_ faults: [SimFault]) { inner.withLock { $0.faults = faults } }
    func expireTokens() { inner.withLock { $0.tokens.removeAll() } }
    func counters() -> SimCounters { inner.withLock { $0.counters } }
    func resetCounters() { inner.withLock { $0.counters = SimCounters() } }

    // MARK: HTTP

    func admin(_ request: SimRequest, path: String) -> SimReply {
        do {
            return try route(request, path: path)
        } catch {
            return .plain(400, "\(error)\n")
        }
    }

    private func route(_ request: SimRequest, path: String) throws -> SimReply {
        let body = request.body.map { Array($0.readableBytesView) } ?? []
        switch (request.method, path) {
        case (.GET, "/_sim/state"):
            return .json(state())
        case (.PUT, "/_sim/state"):
            let new = try SimJSON.decode(SimState.self, from: body)
            try new.validate()
            setState(new)
            return .noContent
        case (.GET, "/_sim/faults"):
            return .json(faults())
        case (.PUT, "/_sim/faults"):
            let new = try SimJSON.decode([SimFault].self, from: body)
            for fault in new { try fault.validate() }
            setFaults(new)
            return .noContent
        case (.DELETE, "/_sim/faults"):
            setFaults([])
            return .noContent
        case (.POST, "/_sim/tokens/expire"):
            expireTokens()
            return .noContent
        case (.GET, "/_sim/counters"):
            return .json(counters())
        case (.DELETE, "/_sim/counters"):
            resetCounters()
            return .noContent
        default:
            break
        }

        let enisPrefix = "/_sim/enis/"
        guard path.hasPrefix(enisPrefix), path.count > enisPrefix.count else {
            return .plain(404, "no admin endpoint \(request.method.rawValue) \(path); see imds-sim --help\n")
        }
        var mac = percentDecoded(String(path.dropFirst(enisPrefix.count)))
        let prefixesSuffix = "/prefixes"
        if mac.hasSuffix(prefixesSuffix) {
            mac = String(mac.dropLast(prefixesSuffix.count))
            guard request.method == .POST else { return .plain(405, "use POST on \(path)\n") }
            let change = try SimJSON.decode(PrefixChange.self, from: body)
            return changePrefixes(mac: mac, add: change.add ?? [], remove: change.remove ?? [])
                ? .noContent : .plain(404, "no ENI with mac \(mac)\n")
        }
        switch request.method {
        case .PUT:
            let eni = try SimJSON.decode(SimENI.self, from: body, defaultMAC: mac)
            guard eni.mac.lowercased() == mac.lowercased() else {
                throw SimError("the body's mac \(eni.mac) differs from the path's \(mac)")
            }
            var new = state()
            new.upsert(eni)
            try new.validate()
            upsertENI(eni)
            return .noContent
        case .DELETE:
            return removeENI(mac: mac) ? .noContent : .plain(404, "no ENI with mac \(mac)\n")
        default:
            return .plain(405, "use PUT or DELETE on \(path)\n")
        }
    }

    /// `%3A` for `:` as some HTTP clients escape it.
    private func percentDecoded(_ s: String) -> String {
        var bytes: [UInt8] = []
        var utf8 = Array(s.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%"), utf8.count >= 2,
                let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// The body of `POST /_sim/enis/<mac>/prefixes`: prefixes to add and to remove, either family.
struct PrefixChange: Decodable {
    var add: [String]?
    var remove: [String]?
}

extension SimReply {
    static let noContent = SimReply(effect: .respond(status: .noContent, headers: HTTPHeaders(), body: ByteBuffer()))

    static func plain(_ status: Int, _ text: String) -> SimReply {
        .respond(status, contentType: "text/plain", body: ByteBuffer(string: text))
    }

    static func json(_ value: some Encodable) -> SimReply {
        .respond(200, contentType: "application/json", body: ByteBuffer(bytes: SimJSON.encode(value)))
    }
}

/// JSON for the state document and the admin API: pretty, with sorted keys, so that a human
/// reading `curl .../_sim/state` and a diff of two documents both stay readable.
enum SimJSON {
    static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(value)) + [UInt8(ascii: "\n")]
        } catch {
            // Only strings, numbers, booleans and arrays of them: encoding cannot fail.
            preconditionFailure("encoding the simulator's own values failed: \(error)")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], defaultMAC: String? = nil) throws(SimError) -> T {
        let decoder = JSONDecoder()
        if let defaultMAC { decoder.userInfo[SimENI.defaultMACKey] = defaultMAC }
        do {
            return try decoder.decode(type, from: Data(bytes))
        } catch let error as DecodingError {
            throw SimError("invalid \(T.self) JSON: \(describe(error))")
        } catch {
            throw SimError("invalid \(T.self) JSON: \(error)")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        let context: DecodingError.Context
        switch error {
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .keyNotFound(_, let c), .dataCorrupted(let c):
            context = c
        @unknown default:
            return "\(error)"
        }
        let path = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        return path.isEmpty ? context.debugDescription : "at \(path): \(context.debugDescription)"
    }
}

extension SimState {
    /// Reads a state document (JSON) and validates it.
    public init(contentsOfFile path: String) throws(SimError) {
        let bytes = try readFile(path)
        do {
            self = try SimJSON.decode(SimState.self, from: bytes)
            try validate()
        } catch {
            throw SimError("\(path): \(error)")
        }
    }

    /// Parses a state document (JSON) without validating it.
    public init(json: [UInt8]) throws(SimError) {
        self = try SimJSON.decode(SimState.self, from: json)
    }

    /// The document as served by `GET /_sim/state`.
    public var json: [UInt8] { SimJSON.encode(self) }
}

/// POSIX rather than Foundation's file API: its errors name the errno plainly.
private func readFile(_ path: String) throws(SimError) -> [UInt8] {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw SimError("cannot open state file \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 64 << 10)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count == 0 { return bytes }
        if count < 0 {
            if errno == EINTR { continue }
            throw SimError("cannot read state file \(path): \(String(cString: strerror(errno)))")
        }
        bytes += chunk[..<count]
    }
}
