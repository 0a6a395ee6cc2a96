// SPDX-License-Identifier: Apache-2.0
import FoundationEssentials
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
public import Model
public import Reconcile

/// What `/run/eni-agent/state.json` holds: the ownership record, the last metadata read and the
/// last sync, so that `eni-agent status` can answer without the daemon and a restarted daemon
/// knows what it created.
public struct PersistedState: Sendable, Codable {
    public static let currentVersion = 1

    public var version: Int
    public var updatedAt: String
    public var pid: Int32
    public var ownership: Ownership
    public var network: InstanceNetwork?
    public var lastSync: SyncSummary?

    public init(updatedAt: String, pid: Int32, ownership: Ownership, network: InstanceNetwork?, lastSync: SyncSummary?) {
        version = Self.currentVersion
        self.updatedAt = updatedAt
        self.pid = pid
        self.ownership = ownership
        self.network = network
        self.lastSync = lastSync
    }
}

public struct SyncSummary: Sendable, Codable, Hashable {
    public var id: Int
    public var at: String
    public var durationMilliseconds: Double
    public var metadata: MetadataOutcome
    public var changes: Int
    public var failures: [String]
    public var summary: String
    public var exitCode: Int32

    init(_ report: SyncReport) {
        id = report.id
        at = report.startedAt
        durationMilliseconds = report.durationMilliseconds
        metadata = report.metadata
        changes = report.changes
        failures = report.failures.map { "\($0.op): \($0.outcome)" }
        summary = report.summary
        exitCode = report.exitCode
    }
}

/// Reads and atomically writes the state file, and locks it against a concurrent writer.
public struct StateStore: Sendable {
    public var path: String
    var directory: String
    /// Whoever writes the state file holds an exclusive `flock` on this file meanwhile, from
    /// reading the ownership record to writing it back: the daemon and `--sync` take turns.
    public var lockPath: String

    public init(directory: String) {
        self.directory = directory
        path = directory + "/state.json"
        lockPath = directory + "/state.lock"
    }

    /// Which file the path names now: every write renames a new file over it, so a write by
    /// anyone changes it. nil when there is no state file.
    public struct Identity: Sendable, Hashable {
        var device: UInt64
        var inode: UInt64
        var modified: Int64
        var modifiedNanoseconds: Int
    }

    public func identity() -> Identity? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return Identity(device: UInt64(status.st_dev), inode: UInt64(status.st_ino), modified: Int64(status.st_mtim.tv_sec),
                        modifiedNanoseconds: Int(status.st_mtim.tv_nsec))
    }

    /// The writer's lock, held until `release()` (or deinit): an open file description with an
    /// exclusive `flock`, which the kernel drops if the process dies.
    public final class Lock: Sendable {
        private let fd: Mutex<Int32>

        fileprivate init(fd: Int32) { self.fd = Mutex(fd) }

        public func release() {
            fd.withLock { fd in
                guard fd >= 0 else { return }
                close(fd)
                fd = -1
            }
        }

        deinit { release() }
    }

    /// The lock if no one else holds it, nil if someone does; never waits.
    public func tryLock() throws(FileError) -> Lock? {
        try TextFile.makeDirectories(directory)
        // Read-only is enough for flock: a lock file that root's `--sync` created can be locked
        // by the daemon's own user (the unit's `eni-agent`) too, if it may read it (whatever
        // root's umask was; the chmod fails harmlessly on a file someone else owns).
        let fd = open(lockPath, O_RDONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileError(path: lockPath, operation: "open", errno: errno) }
        _ = fchmod(fd, 0o644)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            let saved = errno
            close(fd)
            if saved == EWOULDBLOCK { return nil }
            throw FileError(path: lockPath, operation: "lock", errno: saved)
        }
        return Lock(fd: fd)
    }

    /// nil when there is no state file yet. A file that is there but damaged is not an error:
    /// what validates is returned with the list of what did not (`StateSalvage`). Throws only
    /// when the file cannot be read at all (permissions, I/O).
    public func read() throws(FileError) -> StateFileContents? {
        let text: String
        do {
            text = try TextFile.read(path)
        } catch where error.isNotFound {
            return nil
        } catch where error.errno == EFBIG {
            return StateFileContents(state: StateSalvage.nothing, problems: ["\(error): not read"])
        }
        return StateSalvage.salvage(text)
    }

    /// The state `read()` salvaged, without the list of problems.
    public func load() throws(FileError) -> PersistedState? {
        try read()?.state
    }

    /// Whether this process can keep the state file here: the directory exists (it is made if
    /// missing) and may be written.
    public func checkWritable() throws(FileError) {
        try TextFile.makeDirectories(directory)
        guard access(directory, W_OK | X_OK) == 0 else { throw FileError(path: directory, operation: "write to", errno: errno) }
    }

    public func save(_ state: PersistedState) throws {
        try TextFile.makeDirectories(directory)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(state)
        try TextFile.writeAtomically(path, String(decoding: data, as: UTF8.self) + "\n")
    }
}
