// SPDX-License-Identifier: Apache-2.0
/// How a run of failed metadata reads is told: one warning when it begins, a reminder every
/// `reminder` while it lasts, one notice when it ends; never a line per poll.
struct MetadataOutage: Sendable {
    typealias Instant = ContinuousClock.Instant

    /// The first failed read of the current run; nil while reads succeed.
    private(set) var since: Instant?
    private var lastReminder: Instant?

    enum Change: Equatable {
        case began
        /// Still failing, this long after it began.
        case lasting(Duration)
        /// Reads succeed again after this long.
        case ended(Duration)
    }

    /// A metadata read ended at `now`; what to say about it, if anything.
    mutating func read(failed: Bool, at now: Instant, reminder: Duration) -> Change? {
        guard failed else {
            defer { since = nil }
            return since.map { .ended(now - $0) }
        }
        guard let since else {
            self.since = now
            lastReminder = now
            return .began
        }
        guard now - (lastReminder ?? since) >= reminder else { return nil }
        lastReminder = now
        return .lasting(now - since)
    }
}
