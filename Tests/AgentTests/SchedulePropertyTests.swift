// SPDX-License-Identifier: Apache-2.0
@testable import Agent
import PropertyBased
import Testing

/// The loop's schedule driven over virtual time, the way `DaemonLoop` drives it: sleep until
/// `wake` or the next event, take the events, run what is due (a sync takes time, and events
/// that come meanwhile wait for it to end), ping if due. Everything it did is recorded.
struct ScheduleRun {
    typealias Instant = ContinuousClock.Instant

    enum Event: Sendable { case kernel, link, reload }

    struct Read {
        var start: Instant
        var end: Instant
        var failed: Bool
        var waiting: Bool
        var jitter: Double
    }

    var schedule: Schedule
    let started: Instant
    var now: Instant
    var reads: [Read] = []
    var replans: [(start: Instant, end: Instant)] = []
    var pings: [Instant] = []
    /// Between consecutive pings: how far apart, and how much of that a sync took.
    var pingGaps: [(gap: Duration, syncing: Duration)] = []
    var syncingSincePing = Duration.zero
    /// Kernel events not yet taken into a re-plan, by arrival.
    var pendingKernelEvents: [Instant] = []
    /// For each re-plan, the first kernel event it answered.
    var answered: [(event: Instant, replan: Instant)] = []
    /// Times at which the schedule had nothing due but still wanted to wake at once.
    var spins: [Instant] = []

    /// Runs until `horizon`. `events` are (delay from the start, kind), in any order; `outcomes`
    /// give each sync's duration, whether a read fails, whether a NIC waits for metadata, and
    /// the jitter factor, cycled.
    mutating func run(until horizon: Duration, events: [(Duration, Event)],
                      outcomes: [(sync: Duration, failed: Bool, waiting: Bool, jitter: Double)]) {
        let start = now
        var queue = events.map { (start + $0.0, $0.1) }.sorted { $0.0 < $1.0 }
        var n = 0
        var steps = 0
        while true {
            steps += 1
            if steps > 200_000 {
                Issue.record("stuck at \(now - start) with \(schedule), wake in \(schedule.wake - now), queue \(queue.count), reads \(reads.count), pings \(pings.count)")
                return
            }
            let wake = schedule.wake
            guard min(wake, queue.first?.0 ?? wake) <= start + horizon else { break }
            if let (at, event) = queue.first, at < wake {
                now = max(now, at)
                queue.removeFirst()
                take(event, at: now)
            } else {
                now = max(now, wake)
            }
            let due = schedule.due(at: now)
            if due.contains(.read) || due.contains(.replan) {
                let outcome = outcomes[n % outcomes.count]
                n += 1
                let begin = now
                now = now + outcome.sync
                syncingSincePing += outcome.sync
                if due.contains(.read) {
                    schedule.read(failed: outcome.failed, waitingForNICs: outcome.waiting, at: now, jitter: outcome.jitter)
                    reads.append(Read(start: begin, end: now, failed: outcome.failed, waiting: outcome.waiting, jitter: outcome.jitter))
                } else {
                    schedule.replanned(at: now)
                    replans.append((begin, now))
                }
                if let first = pendingKernelEvents.first, first <= begin { answered.append((first, begin)) }
                pendingKernelEvents.removeAll { $0 <= begin }
                // What came during the sync is taken when it ends, as the Wakeup delivers it.
                while let (at, event) = queue.first, at <= now {
                    queue.removeFirst()
                    take(event, at: now, arrived: at)
                }
            }
            if schedule.due(at: now).contains(.ping) {
                if let last = pings.last { pingGaps.append((now - last, syncingSincePing)) }
                syncingSincePing = .zero
                pings.append(now)
                schedule.pinged(at: now)
            }
            if schedule.due(at: now).isEmpty && schedule.wake <= now { spins.append(now) }
        }
    }

    private mutating func take(_ event: Event, at now: Instant, arrived: Instant? = nil) {
        switch event {
        case .kernel:
            pendingKernelEvents.append(arrived ?? now)
            schedule.kernelChanged(at: now)
        case .link: schedule.linkChanged(at: now)
        case .reload: schedule.reloaded(pollInterval: schedule.pollInterval, at: now)
        }
    }
}

/// The loop's timing for any combination of intervals (docs/design.md §5): nothing starves
/// anything else, a due poll runs within its interval, the backoff stays under its cap, hot-plug
/// looks are spaced, kernel events are coalesced.
@Suite struct SchedulePropertyTests {
    static let seconds = Gen.double(in: 0.2...120)
    static let timing = zip(Gen.double(in: 0...1), Gen.double(in: 0.05...5), Gen.double(in: 0...60), Gen.double(in: 0.2...300))
        .map { debounce, retry, window, cap in
            LoopTiming(debounce: .seconds(debounce), hotplugRetry: .seconds(retry), hotplugWindow: .seconds(window), backoffCap: .seconds(cap))
        }
    /// WATCHDOG_USEC from a third of a second to minutes, or none.
    static let watchdog = Gen.double(in: 0.3...300).optional(valueRate: 0.8)
    static let outcome = zip(Gen.double(in: 0...3), Gen.bool(0.3), Gen.bool(0.2), Gen.double(in: LoopTiming.jitter))
        .map { sync, failed, waiting, jitter in (sync: Duration.seconds(sync), failed: failed, waiting: waiting, jitter: jitter) }
    static let event = zip(Gen.double(in: 0...300), Gen.element(of: [ScheduleRun.Event.kernel, .kernel, .kernel, .link, .reload]))
        .map { at, kind in (Duration.seconds(at), kind!) }

    static func start(_ timing: LoopTiming, poll: Double, watchdog: Double?) -> ScheduleRun {
        let now = ContinuousClock.now
        return ScheduleRun(schedule: Schedule(timing: timing, pollInterval: .seconds(poll), watchdog: watchdog.map { .seconds($0) }, now: now),
                           started: now, now: now)
    }

    @Test(.shrinking(false)) func nothingStarvesAndNoDeadlineIsMissed() async {
        await propertyCheck(count: 150, input: Self.timing, Self.seconds, Self.watchdog, Self.outcome.array(of: 1...8),
                            Self.event.array(of: 0...40)) { timing, poll, watchdog, outcomes, events in
            var run = Self.start(timing, poll: poll, watchdog: watchdog)
            run.run(until: .seconds(300), events: events, outcomes: outcomes)
            let pollInterval = Duration.seconds(poll)
            #expect(run.spins.isEmpty, "woke with nothing to do at \(run.spins.count) points")

            // Reads: one at once, then each within the longest delay that applies (a poll, a
            // hot-plug look, the capped backoff), jittered, after the previous one ended, but for
            // the re-plans that ran in between (a read cannot start during another sync).
            #expect(run.reads.first?.start == run.started, "the first read is at once")
            let lateReads = zip(run.reads, run.reads.dropFirst()).filter { previous, next in
                let limit = previous.failed ? max(timing.backoffCap, pollInterval) * 1.1 : pollInterval * 1.1
                let replanning = run.replans.filter { $0.start >= previous.end && $0.end <= next.start }
                    .reduce(Duration.zero) { $0 + ($1.end - $1.start) }
                return next.start - previous.end > limit + replanning + .nanoseconds(1)
            }
            #expect(lateReads.isEmpty, "reads later than their interval (poll \(pollInterval)): \(lateReads.prefix(3).map { ($0.failed, $1.start - $0.end) })")
            // Pings: never further apart than a third of the watchdog interval, but for the time
            // a sync took (its pinger covers it).
            if let watchdog {
                let late = run.pingGaps.filter { $0.gap > Duration.seconds(watchdog) / 3 + $0.syncing + .nanoseconds(1) }
                #expect(late.isEmpty, "pings too far apart for a watchdog of \(watchdog) s: \(late.prefix(3))")
                #expect(!run.pings.isEmpty)
            }
            // Kernel events: the sync that answers one starts within the debounce of it, or of
            // the end of the sync that was running when it came (events wait for that one).
            let syncs = run.reads.map { ($0.start, $0.end) } + run.replans.map { ($0.start, $0.end) }
            let lateAnswers = run.answered.filter { event, replan in
                let runningThen = syncs.filter { $0.0 <= event && $0.1 > event }.map(\.1).max()
                return replan > max(event, runningThen ?? event) + timing.debounce + .nanoseconds(1)
            }
            #expect(lateAnswers.isEmpty, "kernel events answered late: \(lateAnswers.prefix(3))")
        }
    }

    /// Issue 15: with WATCHDOG_USEC=3000000 the poll must still run every poll interval.
    @Test func aThreeSecondWatchdogLeavesTheTenSecondPollAlone() async {
        await propertyCheck(count: 100, input: Gen.double(in: LoopTiming.jitter).array(of: 1...5)) { jitters in
            var run = Self.start(LoopTiming(), poll: 10, watchdog: 3)
            run.run(until: .seconds(600), events: [],
                    outcomes: jitters.map { (sync: .milliseconds(5), failed: false, waiting: false, jitter: $0) })
            #expect(run.reads.count >= 55, "\(run.reads.count) reads in 600 s at a 10 s poll")
            for (previous, next) in zip(run.reads, run.reads.dropFirst()) {
                #expect(next.start - previous.end ≈ (.seconds(10) * previous.jitter))
            }
            #expect(run.pings.count >= 590, "\(run.pings.count) pings in 600 s, one due every second")
        }
    }

    /// Without events, each failure in a row doubles the wait, up to the cap.
    @Test func theBackoffDoublesUpToItsCap() async {
        await propertyCheck(count: 200, input: Gen.double(in: 0.2...100), Gen.double(in: 1...300), Gen.int(in: 1...12)) { poll, cap, failures in
            var run = Self.start(LoopTiming(backoffCap: .seconds(cap)), poll: poll, watchdog: nil)
            let fail = (sync: Duration.zero, failed: true, waiting: false, jitter: 1.0)
            run.run(until: .seconds(Double(failures + 2) * max(cap, poll)), events: [], outcomes: Array(repeating: fail, count: failures)
                    + [(sync: .zero, failed: false, waiting: false, jitter: 1.0)])
            for (k, (previous, next)) in zip(run.reads, run.reads.dropFirst()).prefix(failures).enumerated() {
                let expected = min(Duration.seconds(poll) * (1 << k), max(.seconds(cap), .seconds(poll)))
                #expect(next.start - previous.end ≈ expected, "failure \(k + 1): \(next.start - previous.end), expected \(expected)")
            }
        }
    }

    /// A NIC waiting for metadata is looked for every retry period during the window (never more
    /// often, never less often than the poll), then with doubling delays up to the poll.
    @Test func hotPlugLooksAreSpacedByTheRetryThenSlowDownToThePoll() async {
        await propertyCheck(count: 200, input: Gen.double(in: 0.2...60), Gen.double(in: 0.1...5), Gen.double(in: 0...60)) { poll, retry, window in
            let timing = LoopTiming(hotplugRetry: .seconds(retry), hotplugWindow: .seconds(window))
            var run = Self.start(timing, poll: poll, watchdog: nil)
            run.run(until: .seconds(window + poll * 20), events: [],
                    outcomes: [(sync: .milliseconds(1), failed: false, waiting: true, jitter: 1.0)])
            let first = run.reads[0].end
            for (previous, next) in zip(run.reads, run.reads.dropFirst()) {
                let gap = next.start - previous.end
                #expect(gap >= min(.seconds(retry), .seconds(poll)) - .nanoseconds(1), "looks \(gap) apart")
                #expect(gap <= max(.seconds(retry), .seconds(poll)) + .nanoseconds(1))
                if previous.end - first < .seconds(window) {
                    #expect(gap ≈ min(.seconds(retry), .seconds(poll)))
                }
            }
        }
    }

    /// Once the NIC is listed (a read finds nothing waiting), the next read is a poll away.
    @Test func aListedNICEndsTheLooks() {
        let start = ContinuousClock.now
        var schedule = Schedule(timing: LoopTiming(), pollInterval: .seconds(10), watchdog: nil, now: start)
        schedule.read(failed: false, waitingForNICs: true, at: start, jitter: 1)
        #expect(schedule.hotplug != nil && schedule.wake == start + .seconds(1))
        schedule.read(failed: false, waitingForNICs: false, at: start + .seconds(1), jitter: 1)
        #expect(schedule.hotplug == nil)
        #expect(schedule.wake == start + .seconds(11))
    }

    /// A burst of kernel events within the debounce is at most two re-plans: the first event's,
    /// at once, and one for the rest once the debounce has passed.
    @Test func aBurstOfKernelEventsIsAnsweredAtOnceAndOnceMore() async {
        await propertyCheck(count: 200, input: Gen.double(in: 0.001...1), Gen.double(in: 0...1).array(of: 1...50)) { debounce, offsets in
            var run = Self.start(LoopTiming(debounce: .seconds(debounce)), poll: 3600, watchdog: nil)
            let burst = offsets.map { (Duration.seconds(10 + $0 * debounce * 0.999), ScheduleRun.Event.kernel) }
            run.run(until: .seconds(20), events: burst, outcomes: [(sync: .zero, failed: false, waiting: false, jitter: 1.0)])
            #expect((1...2).contains(run.replans.count), "\(run.replans.count) re-plans for \(offsets.count) events within \(debounce) s")
            #expect(run.replans.first?.start == burst.map(\.0).min().map { run.started + $0 }, "the first event is answered at once")
            #expect(run.reads.count == 1, "only the first read")
        }
    }

    /// Issue 15: a restore waited out the whole debounce. An event that comes while no sync runs,
    /// longer than the debounce after the last one that answered events, is answered at once,
    /// whatever the debounce.
    @Test func aLoneEventIsAnsweredAtOnce() async {
        await propertyCheck(count: 200, input: Gen.double(in: 0...10), Gen.double(in: 0...2), Gen.double(in: 0.01...5).array(of: 1...20),
                            Gen.bool(0.3)) { debounce, sync, gaps, link in
            var run = Self.start(LoopTiming(debounce: .seconds(debounce), eventReadBurst: 1, eventReadInterval: .zero), poll: 3600, watchdog: nil)
            // Each event comes after the previous one's sync and the debounce.
            var at = Duration.seconds(sync + debounce + 1)
            var events: [(Duration, ScheduleRun.Event)] = []
            for gap in gaps {
                events.append((at, link ? .link : .kernel))
                at += .seconds(sync + debounce + gap)
            }
            run.run(until: at, events: events, outcomes: [(sync: .seconds(sync), failed: false, waiting: false, jitter: 1.0)])
            let answers = link ? run.reads.dropFirst().map(\.start) : run.replans.map(\.start)
            #expect(answers == events.map { run.started + $0.0 }, "events at \(events.map(\.0)), answered at \(answers.map { $0 - run.started })")
        }
    }

    /// Issue 15: every veth a container runtime made read the metadata. However many link events
    /// come, and whenever, reads stay within the allowance: in any stretch of time W, at most the
    /// burst plus one per interval in W.
    @Test func linkEventsCannotDriveReadsPastTheAllowance() async {
        await propertyCheck(count: 150, input: Gen.int(in: 1...5), Gen.double(in: 0.1...3), Gen.double(in: 0...0.2),
                            Gen.double(in: 0...0.5).array(of: 1...8), Gen.double(in: 0...60).array(of: 0...300)) { burst, interval, debounce, syncs, times in
            let timing = LoopTiming(debounce: .seconds(debounce), eventReadBurst: burst, eventReadInterval: .seconds(interval))
            var run = Self.start(timing, poll: 3600, watchdog: nil)
            run.run(until: .seconds(70), events: times.map { (.seconds($0), .link) },
                    outcomes: syncs.map { (sync: .seconds($0), failed: false, waiting: false, jitter: 1.0) })
            let starts = run.reads.map(\.start)
            var excess: [(reads: Int, within: Duration)] = []
            for i in starts.indices {
                for j in starts.indices where j > i {
                    let within = starts[j] - starts[i]
                    // (Durations from doubles round in the last attoseconds.)
                    let allowed = burst + Int((within / .seconds(interval) + 1e-9).rounded(.down))
                    if j - i + 1 > allowed { excess.append((j - i + 1, within)) }
                }
            }
            #expect(excess.isEmpty, "more reads than the allowance: \(excess.prefix(3))")
            #expect(!times.isEmpty || run.reads.count == 1)
        }
    }
}

infix operator ≈: ComparisonPrecedence

/// Equal to the nanosecond: Duration × Double rounds in the last attoseconds.
func ≈ (a: Duration, b: Duration) -> Bool {
    a - b <= .nanoseconds(1) && b - a <= .nanoseconds(1)
}
