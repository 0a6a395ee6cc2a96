// SPDX-License-Identifier: Apache-2.0
import Synchronization

/// A flag that is set once, shared between the loop and the tasks around it. READY=1 is one:
/// whichever comes first sends it, the first complete sync (the loop) or the ready timeout (a
/// timer, so that a read hanging for its whole budget never holds up boot).
final class OnceFlag: Sendable {
    private let state = Mutex(false)

    /// True for the one caller that sets it.
    func claim() -> Bool {
        state.withLock { set in
            defer { set = true }
            return !set
        }
    }

    var isSet: Bool { state.withLock { $0 } }
}

/// Stopping, and the sync to cancel when it happens: a metadata read can take its whole budget,
/// and SIGTERM must not wait for it. One lock for both, so that a sync that starts as the stop
/// comes is cancelled either by the stop (registered first) or by the registration (stop first).
final class Shutdown: Sendable {
    /// Where the sync runs: the daemon's loop thread.
    let executor: any TaskExecutor
    private let state = Mutex<(stopping: Bool, sync: Task<SyncReport, Never>?)>((false, nil))

    init(executor: any TaskExecutor) { self.executor = executor }

    func request() {
        let sync = state.withLock { state in
            state.stopping = true
            return state.sync
        }
        sync?.cancel()
    }

    var isRequested: Bool { state.withLock { $0.stopping } }

    /// Runs `operation` as the sync a stop cancels.
    func run(_ operation: @escaping @Sendable () async -> SyncReport) async -> SyncReport {
        let task = Task(executorPreference: executor) { await operation() }
        let stopping = state.withLock { state in
            state.sync = task
            return state.stopping
        }
        if stopping { task.cancel() }
        let report = await task.value
        state.withLock { $0.sync = nil }
        return report
    }
}
