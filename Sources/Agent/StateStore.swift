// SPDX-License-Identifier: Apache-2.0
import FoundationEssentials
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

/// Reads and atomically writes the state file.
public struct StateStore: Sendable {
    public var path: String
    var directory: String

    public init(directory: String) {
        self.directory = directory
        path = directory + "/state.json"
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
