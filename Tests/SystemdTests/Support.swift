// SPDX-License-Identifier: Apache-2.0
import Glibc

struct SystemError: Error, CustomStringConvertible {
    let call: String
    let code: Int32
    init(_ call: String, _ code: Int32 = errno) {
        self.call = call
        self.code = code
    }
    var description: String { "\(call): \(String(cString: strerror(code)))" }
}

/// Sets (or, for nil, unsets) the variables for the duration of `body` and restores what was
/// there before. Only for tests inside the `.serialized` process-environment suite.
func withEnvironment<R>(_ variables: [String: String?], _ body: () throws -> R) rethrows -> R {
    let saved = variables.keys.map { ($0, getenv($0).map { String(cString: $0) }) }
    for (name, value) in variables {
        if let value { setenv(name, value, 1) } else { unsetenv(name) }
    }
    defer {
        for (name, value) in saved {
            if let value { setenv(name, value, 1) } else { unsetenv(name) }
        }
    }
    return try body()
}

/// A path no other test (or test run) uses.
func uniqueTemporaryPath(_ stem: String) -> String {
    "/tmp/eni-agent-\(stem)-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
}

/// A bound AF_UNIX datagram socket standing in for systemd's notify socket or journald's.
final class DatagramSocket {
    let fd: Int32
    let path: String

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket") }
        self.path = path
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw SystemError("socket path too long", ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw SystemError("bind \(path)", code)
        }
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// The next datagram, or nil if none arrives before the deadline.
    func receive(within milliseconds: Int32 = 2_000) -> [UInt8]? {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, milliseconds) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = recv(fd, &buffer, buffer.count, 0)
        guard count >= 0 else { return nil }
        return Array(buffer[..<count])
    }

    func receiveText(within milliseconds: Int32 = 2_000) -> String? {
        receive(within: milliseconds).map { String(decoding: $0, as: UTF8.self) }
    }
}

func monotonicMicrosecondsNow() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
}

/// `<device>:<inode>` of an open descriptor, as systemd writes JOURNAL_STREAM.
func deviceAndInode(of fd: Int32) throws -> String {
    var status = stat()
    guard fstat(fd, &status) == 0 else { throw SystemError("fstat \(fd)") }
    return "\(status.st_dev):\(status.st_ino)"
}
