// SPDX-License-Identifier: Apache-2.0
import Foundation
import Glibc
import Logging
import Testing

@testable import Systemd

/// No journald runs on this machine, and sd_journal_sendv only ever talks to the fixed path
/// /run/systemd/journal/socket (it even reports success when nothing listens there). To see
/// what journald would receive, one thread gets a private mount namespace with a tmpfs on
/// /run, binds a datagram socket at that path, logs, and reads the native-protocol datagram.
/// The namespace belongs to that thread alone and ends with it; nothing outside it sees /run
/// change. What journald then stores is for the real-systemd test (`journalctl -o json`).
@Suite("Native journald protocol")
struct FakeJournaldTests {
    @Test(
        "A logged event reaches the journal socket with every field, control characters escaped",
        .enabled(if: getuid() == 0, "a private mount namespace needs CAP_SYS_ADMIN")
    )
    func eventReachesJournalSocket() async throws {
        let datagram = try await onThreadWithPrivateRun { () throws -> [UInt8] in
            let socket = try DatagramSocket(path: "/run/systemd/journal/socket")
            var handler = SystemdLogHandler(label: "test", destination: .journal, identifier: "eni-agent-test")
            handler.logLevel = .debug
            handler.log(
                event: LogEvent(
                    level: .notice,
                    message: "removed 10.0.0.9/24 from eth1\nsecond line",
                    metadata: ["eni_id": "eni-abc\u{1B}[2J", "action": "remove", "ips": ["10.0.0.9"]],
                    source: "Agent",
                    file: "Agent/Sync.swift",
                    function: "apply(_:)",
                    line: 99
                ))
            guard let datagram = socket.receive() else {
                throw NamespaceSetupFailed(description: "nothing arrived at the journal socket")
            }
            return datagram
        }
        let fields = try NativeProtocol.parse(datagram)
        #expect(fields == [
            #"MESSAGE=removed 10.0.0.9/24 from eth1\nsecond line"#,
            "PRIORITY=5",
            "SYSLOG_IDENTIFIER=eni-agent-test",
            "CODE_FILE=Agent/Sync.swift",
            "CODE_LINE=99",
            "CODE_FUNC=apply(_:)",
            "ACTION=remove",
            #"ENI_ID=eni-abc\u{1B}[2J"#,
            "IPS=[10.0.0.9]",
        ])
    }
}

/// journald's native datagram: `NAME=value\n`, or, for values containing a newline,
/// `NAME\n` + 64-bit little-endian length + value + `\n`.
private enum NativeProtocol {
    struct Malformed: Error {}

    static func parse(_ bytes: [UInt8]) throws -> [String] {
        var fields: [String] = []
        var index = 0
        while index < bytes.count {
            guard let end = bytes[index...].firstIndex(where: { $0 == UInt8(ascii: "=") || $0 == UInt8(ascii: "\n") })
            else { throw Malformed() }
            let name = String(decoding: bytes[index..<end], as: UTF8.self)
            if bytes[end] == UInt8(ascii: "=") {
                guard let newline = bytes[end...].firstIndex(of: UInt8(ascii: "\n")) else { throw Malformed() }
                fields.append(name + "=" + String(decoding: bytes[(end + 1)..<newline], as: UTF8.self))
                index = newline + 1
            } else {
                let sizeStart = end + 1
                guard sizeStart + 8 <= bytes.count else { throw Malformed() }
                let size = bytes[sizeStart..<(sizeStart + 8)].reversed().reduce(0) { $0 << 8 | Int($1) }
                let valueStart = sizeStart + 8
                guard valueStart + size < bytes.count, bytes[valueStart + size] == UInt8(ascii: "\n") else {
                    throw Malformed()
                }
                fields.append(name + "=" + String(decoding: bytes[valueStart..<(valueStart + size)], as: UTF8.self))
                index = valueStart + size + 1
            }
        }
        return fields
    }
}

private struct NamespaceSetupFailed: Error, CustomStringConvertible {
    let description: String
}

/// Runs `body` on a new thread that first moves into its own mount namespace, makes every
/// mount private there (so nothing propagates back), and mounts a tmpfs on /run.
private func onThreadWithPrivateRun<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try enterPrivateRun(); return try body() })
        }
        thread.start()
    }
}

private func enterPrivateRun() throws {
    typealias Unshare = @convention(c) (Int32) -> Int32
    // Glibc's Swift module does not export unshare(2) (_GNU_SOURCE only).
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "unshare") else {
        throw NamespaceSetupFailed(description: "unshare not found")
    }
    let unshare = unsafeBitCast(symbol, to: Unshare.self)
    let cloneNewNS: Int32 = 0x0002_0000
    guard let before = mountNamespace() else { throw SystemError("readlink /proc/thread-self/ns/mnt") }
    guard unshare(cloneNewNS) == 0 else { throw SystemError("unshare(CLONE_NEWNS)") }
    // Never touch mounts unless this thread really is in a namespace of its own.
    guard let after = mountNamespace(), after != before else {
        throw NamespaceSetupFailed(description: "thread still in the shared mount namespace")
    }
    guard mount(nil, "/", nil, UInt(MS_REC | MS_PRIVATE), nil) == 0 else { throw SystemError("mount --make-rprivate /") }
    guard mount("tmpfs", "/run", "tmpfs", 0, "size=1m,mode=755") == 0 else { throw SystemError("mount tmpfs /run") }
    guard mkdir("/run/systemd", 0o755) == 0, mkdir("/run/systemd/journal", 0o755) == 0 else {
        throw SystemError("mkdir /run/systemd/journal")
    }
}

private func mountNamespace() -> String? {
    var buffer = [CChar](repeating: 0, count: 128)
    let count = readlink("/proc/thread-self/ns/mnt", &buffer, buffer.count - 1)
    guard count > 0 else { return nil }
    return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
