// SPDX-License-Identifier: Apache-2.0
public import Model
public import Reconcile

/// How the metadata side of a cycle went.
public enum MetadataOutcome: Sendable, Hashable, Codable {
    /// Every ENI complete and valid: removals were allowed.
    case complete
    /// Read, but some ENI incomplete or invalid: additions only.
    case incomplete(reasons: [String])
    /// Nothing usable read this cycle; the cached read (if any) drove additions only.
    case unavailable(reason: String)
    /// The daemon re-planned from its cached read after a kernel event (additions only).
    case cached
}

/// The outcome of one sync cycle: what `--sync` prints and exits with, what the daemon logs
/// and puts in STATUS and the state file.
public struct SyncReport: Sendable, Codable {
    public var id: Int
    public var startedAt: String
    public var durationMilliseconds: Double
    public var metadata: MetadataOutcome
    public var metadataRequests: Int
    public var dryRun: Bool
    public var plan: [PlannedOp]
    public var results: [OpResult]
    public var notes: [PlanNote]
    public var managed: [ManagedENI]
    /// The kernel could not be read: nothing was planned.
    public var kernelError: String?
    /// NICs whose MAC metadata does not list (yet): the daemon looks again soon.
    public var unlistedNICs: [String] = []
    /// Where the time went, in milliseconds.
    public var phases = Phases()
    /// Each managed ENI's addresses by state as the sync left them; empty unless a metrics
    /// file is configured, the one reader.
    public var addressStates: [ENIAddressStates] = []
    /// The metadata HTTP requests of this sync's read by outcome (`ok`, `not_found`, …), a
    /// failed read's included.
    public var metadataRequestOutcomes: [String: Int] = [:]

    public struct Phases: Sendable, Codable, Hashable {
        public var metadata = 0.0
        public var kernelRead = 0.0
        public var plan = 0.0
        public var apply = 0.0
        /// Recording ownership and logging each change.
        public var log = 0.0
        public var persist = 0.0
    }

    public var failures: [OpResult] { results.filter { !$0.outcome.succeeded } }
    public var changes: Int { results.filter { $0.outcome == .applied }.count }

    /// `--sync` exit codes (docs/design.md §6): a failed operation or kernel error is 1 (something
    /// broke, look at the log), else metadata that was not complete is 69 (nothing removed),
    /// else 0.
    public var exitCode: Int32 {
        if kernelError != nil || !failures.isEmpty { return ExitStatus.failure }
        switch metadata {
        case .complete: return ExitStatus.ok
        case .incomplete, .unavailable, .cached: return ExitStatus.unavailable
        }
    }

    /// One line for STATUS= and logs.
    public var summary: String {
        let addresses = managed.reduce(0) { $0 + $1.addresses.count }
        var text = "\(managed.count) ENIs, \(addresses) addresses"
        switch metadata {
        case .complete, .cached: break
        case .incomplete(let reasons): text += "; metadata incomplete (\(reasons.first ?? "?"))"
        case .unavailable(let reason): text += "; metadata unavailable (\(reason))"
        }
        if let kernelError { text += "; kernel: \(kernelError)" }
        if dryRun {
            text += "; \(plan.count) planned"
        } else {
            text += "; sync #\(id): \(changes) changes"
            if !failures.isEmpty { text += ", \(failures.count) failed" }
        }
        return text
    }
}

public enum ExitStatus {
    public static let ok: Int32 = 0
    public static let failure: Int32 = 1
    public static let usage: Int32 = 64
    public static let unavailable: Int32 = 69
    public static let noPermission: Int32 = 77
    public static let config: Int32 = 78
}
