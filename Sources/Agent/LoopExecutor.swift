// SPDX-License-Identifier: Apache-2.0
import NIOCore

/// A task executor over a NIO event loop: jobs run on the loop's thread, in order, between its
/// I/O. Tasks that prefer it (`withTaskExecutorPreference`) and their child tasks stay on that
/// thread across awaits of the metadata client, whose futures complete there.
final class LoopExecutor: TaskExecutor {
    let loop: any EventLoop

    init(_ loop: any EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        loop.execute { job.runSynchronously(on: executor) }
    }
}
