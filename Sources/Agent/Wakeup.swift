// SPDX-License-Identifier: Apache-2.0
import NIOCore
import Synchronization

/// Why the daemon's loop should look again. Reasons accumulate while a cycle runs, so a trigger
/// during a cycle schedules exactly one more, and cycles never overlap.
public enum WakeReason: Hashable, Sendable {
    /// Something changed that only a metadata read can explain (a link that could be an ENI
    /// came, went or changed what makes it one; events lost).
    case linkEvent
    /// Something the agent may own was removed, or an ENI's link went down: re-plan from the
    /// cache.
    case kernelEvent
    case reload
    case shutdown
    /// The event stream ended: the loop stops vouching for itself to the watchdog.
    case eventsEnded
}

/// A mailbox of wake reasons with one waiter: `post` from anywhere, `wait` from the loop.
final class Wakeup: Sendable {
    private struct State {
        var pending: Set<WakeReason> = []
        var waiter: CheckedContinuation<Void, Never>?
        /// Which wait the timer belongs to, and whether it has fired: a timer that fires before
        /// the loop has parked must still end that wait.
        var generation = 0
        var timedOut = false
    }
    private let state = Mutex(State())
    /// Where the deadline timer runs: the daemon's event loop, so that an idle daemon's only
    /// wake-up is its own thread's (a `Task.sleep` wakes a concurrency-pool thread, which the
    /// pool may have to start again).
    private let timers: any EventLoop

    init(timers: any EventLoop) { self.timers = timers }

    func post(_ reason: WakeReason) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.pending.insert(reason)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Returns the pending reasons as soon as there are any, or an empty set at `deadline`.
    /// Only the daemon's loop waits; there is never more than one waiter.
    func wait(until deadline: ContinuousClock.Instant) async -> Set<WakeReason> {
        if let ready = take() { return ready }
        let generation = state.withLock { state -> Int in
            state.generation += 1
            state.timedOut = false
            return state.generation
        }
        let delay = ContinuousClock.now.duration(to: deadline)
        let timer = timers.scheduleTask(in: TimeAmount(max(delay, .zero))) { [self] in
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                // A timer of an earlier wait (cancelled too late) does not end this one.
                guard state.generation == generation else { return nil }
                state.timedOut = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                if !state.pending.isEmpty || state.timedOut { return true }
                state.waiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
        timer.cancel()
        return take() ?? []
    }

    private func take() -> Set<WakeReason>? {
        state.withLock { state in
            guard !state.pending.isEmpty else { return nil }
            defer { state.pending = [] }
            return state.pending
        }
    }
}
