// SPDX-License-Identifier: Apache-2.0
import CNetlink
#if canImport(Glibc)
import Glibc
#endif

/// Runs code inside another network namespace. A netlink socket belongs to the namespace it was
/// created in, so creating it on a thread that has setns()'d there is enough: the socket keeps
/// working from any thread afterwards. The thread is a fresh pthread that ends with `body`, so
/// no Swift-concurrency or NIO thread ever changes namespace.
enum Namespace {
    static func run<T>(in path: String?, _ body: @escaping () throws(NetlinkError) -> T) throws(NetlinkError) -> T {
        guard let path else { return try body() }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw NetlinkError.system("open network namespace \(path)", errno) }
        defer { close(fd) }
        let job = NamespaceJob(fd: fd, path: path, body: body)
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, { arg in
            let job = Unmanaged<AnyNamespaceJob>.fromOpaque(arg!).takeUnretainedValue()
            job.run()
            return nil
        }, Unmanaged.passUnretained(job as AnyNamespaceJob).toOpaque())
        guard created == 0 else { throw NetlinkError.system("start a thread for \(path)", created) }
        pthread_join(thread, nil)
        return try job.result!.get()
    }
}

private class AnyNamespaceJob {
    func run() {}
}

private final class NamespaceJob<T>: AnyNamespaceJob {
    let fd: Int32
    let path: String
    let body: () throws(NetlinkError) -> T
    var result: Result<T, NetlinkError>?

    init(fd: Int32, path: String, body: @escaping () throws(NetlinkError) -> T) {
        self.fd = fd
        self.path = path
        self.body = body
    }

    override func run() {
        guard eni_setns(fd, eni_clone_newnet()) == 0 else {
            result = .failure(.system("enter network namespace \(path)", errno))
            return
        }
        do throws(NetlinkError) {
            result = .success(try body())
        } catch {
            result = .failure(error)
        }
    }
}
