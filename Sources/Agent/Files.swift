// SPDX-License-Identifier: Apache-2.0
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A file-system failure with the path and the reason, for log lines that say what failed.
public struct FileError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var operation: String
    public var errno: Int32

    public var description: String { "\(operation) \(path): \(String(cString: strerror(errno)))" }

    /// The file (or a directory on its path) does not exist.
    public var isNotFound: Bool { errno == ENOENT }
}

/// Whole small text files: the configuration file, the state file, /proc entries.
public enum TextFile {
    /// Reads the whole file; fails with EFBIG past `limit` bytes, so that a wrong path (a device,
    /// a log) cannot take the daemon's memory.
    public static func read(_ path: String, limit: Int = 16 << 20) throws(FileError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { readSome(fd, $0) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError(path: path, operation: "read", errno: errno)
            }
            if n == 0 { break }
            bytes += buffer[0..<n]
            if bytes.count > limit { throw FileError(path: path, operation: "read (larger than \(limit >> 10) KiB)", errno: EFBIG) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes `contents` so that readers see the old file or the new one, never a torn one:
    /// a temporary file in the same directory, fsync, rename over the target, fsync the directory.
    /// `ignoringUmask`: the file gets `mode` exactly (the units' UMask=0077 would keep a file
    /// meant for another service's reader, the metrics file, to its owner).
    static func writeAtomically(_ path: String, _ contents: String, mode: mode_t = 0o644, ignoringUmask: Bool = false) throws(FileError) {
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let temporary = "\(path).tmp.\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw FileError(path: temporary, operation: "create", errno: errno) }
        if ignoringUmask && fchmod(fd, mode) != 0 {
            let saved = errno
            close(fd)
            unlink(temporary)
            throw FileError(path: temporary, operation: "chmod", errno: saved)
        }
        var bytes = Array(contents.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                let saved = errno
                close(fd)
                unlink(temporary)
                throw FileError(path: temporary, operation: "write", errno: saved)
            }
            offset += n
        }
        bytes.removeAll()
        if fsync(fd) != 0 {
            let saved = errno
            close(fd)
            unlink(temporary)
            throw FileError(path: temporary, operation: "fsync", errno: saved)
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let saved = errno
            unlink(temporary)
            throw FileError(path: path, operation: "rename", errno: saved)
        }
        let dfd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            _ = fsync(dfd)
            close(dfd)
        }
    }

    /// mkdir -p with `mode` for what it creates.
    static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(FileError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, mode) != 0 && errno != EEXIST {
                throw FileError(path: current, operation: "mkdir", errno: errno)
            }
        }
    }
}

/// read(2) by a name `TextFile.read` does not hide.
private func readSome(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Int {
    read(fd, buffer.baseAddress, buffer.count)
}

/// Wall-clock time as RFC 3339 UTC, for the state file and status (no Foundation).
public enum WallClock {
    public static func now() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var seconds = ts.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let millis = ts.tv_nsec / 1_000_000
        let ms = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(ms)Z"
    }

    /// Seconds since the Unix epoch, for the metrics' timestamps.
    public static func unixSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
