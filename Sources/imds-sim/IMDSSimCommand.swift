// SPDX-License-Identifier: Apache-2.0
// `imds-sim`: the simulator as a process, for the lab and for end-to-end tests that run it
// inside a network namespace. All behaviour lives in `IMDSSim`; this only wires flags, output
// and signals.

import ArgumentParser
import Dispatch
import IMDSSim

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

@main
struct IMDSSimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imds-sim",
        abstract: "Simulates the Alibaba Cloud ECS instance metadata service (IMDS) for tests.",
        discussion: """
            Serves /latest/meta-data/... (and /2016-01-01/...) from a JSON state document, with \
            token mode, fault injection and request counters. Once every listener is bound, the \
            first line on stdout is "listening on HOST:PORT" (the real port when --listen asks \
            for port 0); with --admin-socket a second line "admin socket on PATH" follows. \
            SIGTERM or SIGINT: clean exit 0, socket file removed.

            Admin API (on every listener, under /_sim/, never faulted nor counted):
              GET    /_sim/state            the state document
              PUT    /_sim/state            replace it (body: document)               -> 204
              PUT    /_sim/enis/<mac>       add or replace one ENI (body: ENI object)  -> 204
              DELETE /_sim/enis/<mac>       remove one ENI                             -> 204
              POST   /_sim/enis/<mac>/prefixes  add or remove delegated prefixes
                                            (body: {"add": [...], "remove": [...]})  -> 204
              GET    /_sim/faults           the faults, "times" = what is left
              PUT    /_sim/faults           replace them (body: JSON array)            -> 204
              DELETE /_sim/faults           clear them                                 -> 204
              POST   /_sim/tokens/expire    invalidate every issued token              -> 204
              GET    /_sim/counters         {"total":N,"tokenRequests":N,"byPath":{...}}
              DELETE /_sim/counters         reset them                                 -> 204
            A fault: {"path": "/latest/meta-data/network/interfaces/macs/*", "method": "GET",
              "status": 500, "body": "oops", "delayMs": 0, "garbage": false, "drop": false,
              "oversize": false, "http10": false, "times": 3}
            path is exact, or a prefix when it ends in *; the first matching fault wins.
            Example: curl --unix-socket /run/imds-sim.sock http://sim/_sim/state
            """
    )

    @Option(help: "Address to serve on, HOST:PORT (port 0 = ephemeral), e.g. 100.100.100.200:80.")
    var listen: String

    @Option(help: "JSON state document to serve (default: an empty document).")
    var state: String?

    @Option(help: "Also serve everything (metadata and admin) on a Unix domain socket at this path.")
    var adminSocket: String?

    @Option(help: "Override the document's tokenMode: optional, required or unsupported.")
    var tokenMode: String?

    @Option(help: "Override the document's prefixListFormat, how ipv4-prefixes and ipv6-prefixes list several entries: lines, crlf, json, bracketed, comma or space.")
    var prefixFormat: String?

    @Flag(help: "Send each answer's head and body in separate TCP segments with Nagle on, as Python's http.server does.")
    var segmentedAnswers = false

    func validate() throws {
        _ = try parseListen()
        if let tokenMode, TokenMode(rawValue: tokenMode) == nil {
            throw ValidationError("--token-mode must be optional, required or unsupported, not \"\(tokenMode)\"")
        }
        if let prefixFormat, PrefixListFormat(rawValue: prefixFormat) == nil {
            let known = PrefixListFormat.allCases.map(\.rawValue).joined(separator: ", ")
            throw ValidationError("--prefix-format must be one of \(known), not \"\(prefixFormat)\"")
        }
    }

    func run() async throws {
        let (host, port) = try parseListen()
        var document = SimState()
        if let state { document = try SimState(contentsOfFile: state) }
        if let tokenMode, let mode = TokenMode(rawValue: tokenMode) { document.tokenMode = mode }
        if let prefixFormat, let format = PrefixListFormat(rawValue: prefixFormat) { document.prefixListFormat = format }

        // Before binding, so a signal sent the moment the first line appears is not lost.
        let termination = TerminationSignals()
        let sim = IMDSSimulator(state: document, segmentation: segmentedAnswers ? .headThenBody : .whole)
        let bound = try await sim.start(host: host, port: port, unixSocket: adminSocket)
        let shownHost = host.contains(":") ? "[\(host)]" : host
        var lines = "listening on \(shownHost):\(bound)\n"
        if let adminSocket { lines += "admin socket on \(adminSocket)\n" }
        writeStdout(lines)

        await termination.wait()
        try await sim.stop()
    }

    private func parseListen() throws -> (host: String, port: Int) {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
            (0...65535).contains(port)
        else {
            throw ValidationError("--listen must be HOST:PORT (e.g. 127.0.0.1:0), not \"\(listen)\"")
        }
        var host = String(listen[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw ValidationError("--listen needs a host: \"\(listen)\"") }
        return (host, port)
    }
}

/// Unbuffered, so a test reading the pipe sees the line at once.
private func writeStdout(_ text: String) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let written = bytes.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
        if written <= 0 { return }
        bytes = bytes.dropFirst(written)
    }
}

/// The write end of the self-pipe: a signal handler may only do async-signal-safe things, so it
/// writes one byte here and ordinary code reacts to it. Set once, before the handlers exist.
nonisolated(unsafe) private var signalPipeWriteEnd: Int32 = -1

/// SIGTERM and SIGINT, delivered to async code instead of killing the process. A plain handler
/// plus a pipe: nothing depends on how threads we do not own (NIO's, the runtime's) mask signals.
private final class TerminationSignals {
    private let readEnd: Int32

    init() {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { fatalError("pipe() failed: \(String(cString: strerror(errno)))") }
        readEnd = fds[0]
        signalPipeWriteEnd = fds[1]
        for number in [SIGTERM, SIGINT] {
            signal(number) { _ in
                var byte: UInt8 = 1
                _ = write(signalPipeWriteEnd, &byte, 1)
            }
        }
    }

    /// Returns once a signal has arrived.
    func wait() async {
        let readEnd = self.readEnd
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            // A blocking read on a thread of its own, off the cooperative pool.
            DispatchQueue(label: "imds-sim.signals").async {
                var byte: UInt8 = 0
                while read(readEnd, &byte, 1) < 0 && errno == EINTR {}
                continuation.resume()
            }
        }
    }
}
