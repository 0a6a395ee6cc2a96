// SPDX-License-Identifier: Apache-2.0
/// Timing of the loop that is not configuration, separate so that tests and benchmarks can
/// shorten it (docs/design.md §5).
struct LoopTiming: Sendable, Hashable {
    /// An event is answered at once, unless the last sync that answered events ended less than
    /// this ago: then it waits until this has passed, with every event that comes meanwhile. So
    /// a lone deletion is restored one kernel round trip later, and an `ip addr flush` is two
    /// re-plans, not fifty.
    var debounce: Duration = .milliseconds(50)
    /// Metadata reads that kernel events ask for are rationed (a token bucket): this many at
    /// once...
    var eventReadBurst = 3
    /// ...then one per this interval. Every read, whatever its cause, takes from the same
    /// allowance, so however the kernel churns, reads stay within the burst plus one per interval
    /// beyond those the poll, the hot-plug looks, the backoff and reloads schedule.
    var eventReadInterval: Duration = .seconds(1)
    /// A new NIC whose MAC metadata does not list yet is re-read this often...
    var hotplugRetry: Duration = .seconds(1)
    /// ...for this long, then with doubling delays up to the poll interval.
    var hotplugWindow: Duration = .seconds(30)
    /// IMDS failures back off from the poll interval, doubling, up to this (or the poll interval
    /// if that is longer).
    var backoffCap: Duration = .seconds(60)
    /// While metadata keeps failing, a reminder is logged this often (one line per state change
    /// otherwise).
    var reminder: Duration = .seconds(300)
    /// A sync may take the metadata read budget plus this (kernel read and apply) and still count
    /// as progress for the watchdog; past it the pings stop and systemd restarts the service.
    var applyAllowance: Duration = .seconds(10)

    /// The poll interval is scaled by a factor drawn from this range, so that instances started
    /// together do not poll the metadata service in step.
    static let jitter: ClosedRange<Double> = 0.9...1.1
}

/// When the daemon's loop wakes next, and what is due then (docs/design.md §5), as a value: it
/// reads no clock and draws no random numbers. The loop passes `now` and a jitter factor in;
/// the property tests pass any.
///
/// Each duty has a deadline of its own and `wake` is the earliest of them, so that no duty can
/// push another's back: a watchdog ping due every second never moves the poll.
struct Schedule: Sendable, Hashable {
    typealias Instant = ContinuousClock.Instant

    /// What the loop does when a deadline passes.
    enum Duty: Hashable, Sendable, CaseIterable {
        /// Read the metadata service and sync: the poll, a hot-plug look, a retry after a
        /// failure, a link that came or went, a reload.
        case read
        /// Re-plan from the last read after something was removed from the kernel.
        case replan
        /// Tell systemd's watchdog the loop is alive.
        case ping
    }

    let timing: LoopTiming
    /// From the configuration; a reload may change it.
    var pollInterval: Duration
    /// A third of `WATCHDOG_USEC`, leaving room for a late wake-up; nil without a watchdog.
    private(set) var pingInterval: Duration?

    /// The poll, a hot-plug look or the backoff's retry, whichever applies.
    private(set) var nextRead: Instant
    /// A link event's read, debounced and rationed.
    private(set) var requestedRead: Instant?
    /// A kernel event's re-plan, debounced.
    private(set) var requestedReplan: Instant?
    /// When the last sync that answered events ended: the debounce counts from there.
    private(set) var lastAnswer: Instant?
    /// The read allowance, as the generic cell rate algorithm keeps it: every read moves this on
    /// by `eventReadInterval` (from now, if it lies in the past), and an event's read may start
    /// once it is less than the burst's worth of intervals ahead.
    private(set) var readAllowance: Instant
    private(set) var nextPing: Instant?
    /// Metadata reads that failed in a row.
    private(set) var failures = 0
    /// Set while a NIC waits for metadata to list it.
    private(set) var hotplug: Hotplug?

    struct Hotplug: Sendable, Hashable {
        /// The first read that found the NIC unlisted.
        var since: Instant
        /// The delay of the slow looks after the fast window.
        var delay: Duration
    }

    /// The first read is due at once.
    init(timing: LoopTiming, pollInterval: Duration, watchdog: Duration?, now: Instant) {
        self.timing = timing
        self.pollInterval = pollInterval
        pingInterval = watchdog.map { $0 / 3 }
        nextRead = now
        nextPing = pingInterval.map { now + $0 }
        readAllowance = now
    }

    /// The earliest deadline: the loop sleeps until then unless an event comes first.
    var wake: Instant {
        [nextRead, requestedRead, requestedReplan, nextPing].compactMap { $0 }.min()!
    }

    /// What is due at `now`. A read subsumes a re-plan: it re-plans too, from fresher metadata.
    func due(at now: Instant) -> Set<Duty> {
        var duties: Set<Duty> = []
        if nextRead <= now || requestedRead.map({ $0 <= now }) == true {
            duties.insert(.read)
        } else if let replan = requestedReplan, replan <= now {
            duties.insert(.replan)
        }
        if let ping = nextPing, ping <= now { duties.insert(.ping) }
        return duties
    }

    /// A link that could be an ENI came, went or changed, or events were lost: read the metadata
    /// at once, or once the debounce has passed, or once the allowance has a read, whichever is
    /// latest. Later events join that deadline.
    mutating func linkChanged(at now: Instant) {
        requestedRead = requestedRead ?? max(answerable(at: now), readAllowed)
    }

    /// Something the agent may own was removed, or an ENI's link went down: re-plan at once,
    /// or once the debounce has passed. Later events join that deadline.
    mutating func kernelChanged(at now: Instant) {
        requestedReplan = requestedReplan ?? answerable(at: now)
    }

    /// A re-plan is due but there is no metadata read to re-plan from: it becomes a read, which
    /// the allowance rations like any other an event asks for.
    mutating func replanNeedsRead(at now: Instant) {
        requestedReplan = nil
        requestedRead = requestedRead ?? max(now, readAllowed)
    }

    /// Now, or when the debounce after the last answer has passed.
    private func answerable(at now: Instant) -> Instant {
        max(now, lastAnswer.map { $0 + timing.debounce } ?? now)
    }

    /// When the read allowance next has a read.
    var readAllowed: Instant {
        readAllowance - timing.eventReadInterval * max(timing.eventReadBurst - 1, 0)
    }

    /// After a reload: read the metadata again at once, with the new configuration.
    mutating func reloaded(pollInterval: Duration, at now: Instant) {
        self.pollInterval = pollInterval
        nextRead = now
    }

    mutating func pinged(at now: Instant) {
        nextPing = pingInterval.map { now + $0 }
    }

    /// No more pings: the loop can no longer vouch for itself (its kernel events are gone).
    mutating func stopPinging() {
        pingInterval = nil
        nextPing = nil
    }

    /// A re-plan from the cached read ran, and ended at `now`.
    mutating func replanned(at now: Instant) {
        if requestedReplan != nil { lastAnswer = now }
        requestedReplan = nil
    }

    /// A metadata read (and its sync) ended at `now`. `failed`: the read failed as a whole;
    /// `waitingForNICs`: a NIC is there that metadata does not list yet. `jitter` is a factor
    /// from `LoopTiming.jitter`.
    mutating func read(failed: Bool, waitingForNICs: Bool, at now: Instant, jitter: Double) {
        if requestedRead != nil || requestedReplan != nil { lastAnswer = now }
        readAllowance = max(readAllowance, now) + timing.eventReadInterval
        requestedRead = nil
        requestedReplan = nil
        failures = failed ? failures + 1 : 0
        if !waitingForNICs {
            hotplug = nil
        } else if hotplug == nil {
            hotplug = Hotplug(since: now, delay: timing.hotplugRetry)
        }
        nextRead = now + nextReadDelay(at: now, jitter: jitter)
    }

    /// The IMDS backoff, else the hot-plug looks, else the poll interval; jittered but for the
    /// fast hot-plug looks, which are as fast as they may be.
    private mutating func nextReadDelay(at now: Instant, jitter: Double) -> Duration {
        if failures > 0 {
            let backoff = pollInterval * (1 << min(failures - 1, 16))
            return min(backoff, max(timing.backoffCap, pollInterval)) * jitter
        }
        if var looks = hotplug {
            // Never slower than the poll itself, were the retry period the longer.
            if now - looks.since < timing.hotplugWindow { return min(timing.hotplugRetry, pollInterval * jitter) }
            looks.delay = min(looks.delay * 2, pollInterval)
            hotplug = looks
            return looks.delay * jitter
        }
        return pollInterval * jitter
    }
}
