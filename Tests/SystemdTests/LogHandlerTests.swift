// SPDX-License-Identifier: Apache-2.0
import Foundation
import Glibc
import Logging
import Testing

@testable import Systemd

/// A handler writing plain lines into a fresh temporary file (O_APPEND, like a log file or
/// the journal's stream), so tests read back exactly what it wrote.
private final class CapturedOutput {
    let path = uniqueTemporaryPath("log") + ".txt"
    let fd: Int32

    init() throws {
        fd = open(path, O_CREAT | O_WRONLY | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SystemError("open \(path)") }
    }

    deinit {
        close(fd)
        unlink(path)
    }

    func handler(metadataProvider: Logger.MetadataProvider? = nil) -> SystemdLogHandler {
        SystemdLogHandler(
            label: "test", resolvedDestination: .standardError, identifier: "eni-agent-test",
            metadataProvider: metadataProvider, plainOutput: fd)
    }

    func text() throws -> String {
        let reader = open(path, O_RDONLY | O_CLOEXEC)
        guard reader >= 0 else { throw SystemError("open \(path)") }
        defer { close(reader) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(reader, &chunk, chunk.count)
            guard count > 0 else { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

private struct SampleError: Error, CustomStringConvertible {
    var description: String { "link vanished" }
}

@Suite("SystemdLogHandler")
struct LogHandlerTests {
    @Test("A logger writes one plain line with its handler's and the call's metadata")
    func plainLineThroughLogger() throws {
        let output = try CapturedOutput()
        var logger = Logger(label: "test") { _ in output.handler() }
        logger.logLevel = .debug
        logger[metadataKey: "sync_id"] = "7"
        logger.notice("added 10.0.0.5/24 on eth1", metadata: ["action": "add"])
        #expect(try output.text() == "notice: added 10.0.0.5/24 on eth1 action=add sync_id=7\n")
    }

    @Test("Events below the logger's level are not written")
    func levelFilters() throws {
        let output = try CapturedOutput()
        var logger = Logger(label: "test") { _ in output.handler() }
        logger.logLevel = .notice
        logger.info("hidden")
        logger.notice("shown")
        #expect(try output.text() == "notice: shown\n")
    }

    @Test("Call metadata overrides provider metadata, which overrides the handler's")
    func metadataPrecedence() {
        let merged = SystemdLogHandler.mergedMetadata(
            handler: ["a": "handler", "b": "handler", "c": "handler"],
            provided: ["b": "provider", "c": "provider"],
            explicit: ["c": "call"],
            error: nil
        )
        #expect(merged == ["a": "handler", "b": "provider", "c": "call"])
    }

    @Test("A metadata provider's values reach the line")
    func providerMetadata() throws {
        let output = try CapturedOutput()
        let provider = Logger.MetadataProvider { ["sync_id": "42"] }
        let logger = Logger(label: "test") { _ in output.handler(metadataProvider: provider) }
        logger.info("cycle")
        #expect(try output.text() == "info: cycle sync_id=42\n")
    }

    @Test("An attached error adds error.message and error.type, as swift-log does")
    func errorMetadata() {
        let merged = SystemdLogHandler.mergedMetadata(handler: [:], provided: nil, explicit: nil, error: SampleError())
        #expect(merged["error.message"] == "link vanished")
        #expect(merged["error.type"]?.description.hasSuffix("SampleError") == true)
        #expect(JournalFields.fieldName(forMetadataKey: "error.message") == "ERROR_MESSAGE")
    }

    @Test("Copies of a handler keep their own level and metadata")
    func valueSemantics() {
        var first = SystemdLogHandler(label: "a", destination: .standardError)
        first.logLevel = .debug
        first[metadataKey: "only"] = "first"
        var second = first
        second.logLevel = .error
        second[metadataKey: "only"] = "second"
        #expect(first.logLevel == .debug)
        #expect(first[metadataKey: "only"] == "first")
        #expect(second[metadataKey: "only"] == "second")
    }

    @Test("Lines logged from many threads at once never interleave")
    func concurrentLinesStayWhole() async throws {
        let output = try CapturedOutput()
        let handler = output.handler()
        let payload = String(repeating: "x", count: 200)
        let threads = 6, linesPerThread = 2_000
        // Real threads, not the cooperative pool (as wide as the cores, 2 here): more writers
        // than cores makes a torn line likely (not certain: 2 runs in 3 when tried) if a line
        // ever takes two write(2) calls.
        await withTaskGroup(of: Void.self) { group in
            for thread in 0..<threads {
                group.addTask {
                    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                        Thread {
                            let logger = Logger(label: "test") { _ in handler }
                            for index in 0..<linesPerThread {
                                logger.info("line \(payload)", metadata: ["thread": "\(thread)", "index": "\(index)"])
                            }
                            done.resume()
                        }.start()
                    }
                }
            }
        }
        let lines = try output.text().split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == threads * linesPerThread)
        let malformed = lines.filter { !$0.hasPrefix("info: line \(payload) index=") || !$0.contains(" thread=") }
        #expect(malformed.count == 0, "first torn line: \(malformed.first.map { String($0.prefix(80)) } ?? "")")
    }

    @Test("JOURNAL_STREAM is device:inode in decimal; anything else never matches", arguments: [
        ("2049:123", true), ("0:0", true), ("2049", false), ("2049:", false), (":1", false),
        ("1:2:3", false), ("a:b", false), ("-1:2", false), ("", false),
    ])
    func journalStreamParsing(value: String, parses: Bool) {
        #expect((JournalStream.parse(value) != nil) == parses)
    }

    @Test("The journal stream matches only the descriptor it names")
    func journalStreamMatchesDescriptor() throws {
        let output = try CapturedOutput()
        let identity = try deviceAndInode(of: output.fd)
        #expect(JournalStream.isConnected(fd: output.fd, journalStream: identity))
        #expect(!JournalStream.isConnected(fd: output.fd, journalStream: nil))
        #expect(!JournalStream.isConnected(fd: output.fd, journalStream: identity + "0"))
        let other = try CapturedOutput()
        #expect(!JournalStream.isConnected(fd: other.fd, journalStream: identity))
    }

    @Test("The bootstrap factory makes handlers at the requested level and identifier")
    func bootstrapFactory() throws {
        let make = LoggingSystemBootstrap.factory(level: .debug, identifier: "eni-agent", destination: .standardError)
        let handler = try #require(make("netlink", nil) as? SystemdLogHandler)
        #expect(handler.logLevel == .debug)
        #expect(handler.identifier == "eni-agent")
        #expect(handler.label == "netlink")
        #expect(handler.destination == .standardError)
    }
}

@Suite("Notification text")
struct NotificationTextTests {
    @Test("Fields become KEY=value lines, newlines and NULs flattened to spaces")
    func datagramText() {
        #expect(Notifier.datagram([("READY", "1"), ("STATUS", "a\nb\0c")]) == "READY=1\nSTATUS=a b c")
    }

    @Test("A key cannot smuggle an assignment of its own")
    func keysAreSanitised() {
        #expect(Notifier.datagram([("MAINPID=1\nSTATUS", "x")]) == "MAINPID_1_STATUS=x")
    }
}
