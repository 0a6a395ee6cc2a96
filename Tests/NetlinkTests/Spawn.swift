// SPDX-License-Identifier: Apache-2.0
import Foundation
import Synchronization

/// A finished command.
struct Ran: CustomStringConvertible {
    var argv: [String]
    var status: Int32
    var stdout: String
    var stderr: String

    var description: String {
        "`\(argv.joined(separator: " "))` exited \(status)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)"
    }
}

struct SpawnFailed: Error, CustomStringConvertible {
    var ran: Ran
    var description: String { ran.description }
}

/// Runs commands with posix_spawn and waits with waitpid, all on the calling thread, output
/// through temporary files. TestSupport's `Command` reads its pipes on Dispatch's global queues,
/// which on Linux are the threads Swift concurrency runs on too: hundreds of `ip` runs from
/// these suites, each holding two of those threads, starved the other suites' timed tests.
/// Call this from `blocking { }` (a thread of its own), never from a task directly.
enum Spawn {
    private static let counter = Atomic<Int>(0)

    static func run(_ argv: [String], input: String? = nil, environment: [String: String]? = nil,
                    timeout: Duration = .seconds(60)) throws -> Ran {
        let base = NSTemporaryDirectory() + "nl-spawn-\(getpid())-\(counter.add(1, ordering: .relaxed).newValue)"
        let (inPath, outPath, errPath) = (base + ".in", base + ".out", base + ".err")
        defer { for path in [inPath, outPath, errPath] { unlink(path) } }
        try (input ?? "").write(toFile: inPath, atomically: false, encoding: .utf8)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, inPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)

        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        var cArgv = argv.map { strdup($0) } + [nil]
        var cEnv = env.map { strdup($0) } + [nil]
        defer { (cArgv + cEnv).forEach { free($0) } }
        var pid = pid_t()
        let rc = posix_spawnp(&pid, argv[0], &actions, nil, &cArgv, &cEnv)
        guard rc == 0 else { throw SpawnFailed(ran: Ran(argv: argv, status: -1, stdout: "", stderr: String(cString: strerror(rc)))) }

        var status: Int32 = 0
        let deadline = ContinuousClock.now + timeout
        while true {
            let waited = waitpid(pid, &status, WNOHANG)
            if waited == pid || (waited < 0 && errno != EINTR) { break }
            if ContinuousClock.now > deadline { kill(pid, SIGKILL) }
            usleep(1000)
        }
        let exit = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        return Ran(argv: argv, status: exit, stdout: read(outPath), stderr: read(errPath))
    }

    /// `run`, throwing with everything printed unless the command exits 0.
    @discardableResult
    static func check(_ argv: [String], input: String? = nil) throws -> String {
        let ran = try run(argv, input: input)
        guard ran.status == 0 else { throw SpawnFailed(ran: ran) }
        return ran.stdout
    }
}
