// SPDX-License-Identifier: Apache-2.0
import NIOPosix

/// A thread of its own for the calls that block: netlink dumps and applies, and the state
/// file's writes and fsync. Jobs run one at a time, in order. The daemon's loop runs on the
/// metadata client's event loop, where a blocking call would hold up every request and timer.
public final class BlockingThread: TaskExecutor {
    private let pool = NIOThreadPool(numberOfThreads: 1)

    public init() {
        pool.start()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        // A job is run even if the pool is shutting down (`.cancelled`): a task must not hang.
        pool.submit { _ in job.runSynchronously(on: executor) }
    }

    /// Runs `body` on the thread.
    func run<T: Sendable, Failure: Error>(_ body: @Sendable () throws(Failure) -> T) async throws(Failure) -> T {
        try await withTaskExecutorPreference(self, isolation: nil) { () async throws(Failure) -> T in try body() }
    }

    /// Ends the thread once its queued jobs have run.
    func shutdown() async {
        try? await pool.shutdownGracefully()
    }
}
