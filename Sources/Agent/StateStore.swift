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

    /// nil when there is no state file yet; throws when it exists but cannot be used (the
    /// caller logs it and starts from an empty record: kernel marks still identify ownership).
    public func load() throws -> PersistedState? {
        let text: String
        do {
            text = try TextFile.read(path)
        } catch where error.isNotFound {
            return nil
        }
        return try JSONDecoder().decode(PersistedState.self, from: Data(text.utf8))
    }

    public func save(_ state: PersistedState) throws {
        try TextFile.makeDirectories(directory)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(state)
        try TextFile.writeAtomically(path, String(decoding: data, as: UTF8.self) + "\n")
    }
}
