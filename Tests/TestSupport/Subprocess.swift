// SPDX-License-Identifier: Apache-2.0
import Foundation

/// A finished command: its status and what it printed.
public struct CommandResult: Sendable, CustomStringConvertible {
    public var argv: [String]
    public var status: Int32
    public var stdout: String
    public var stderr: String

    public var description: String {
        "`\(argv.joined(separator: " "))` exited \(status)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)"
    }
}

public struct CommandFailed: Error, CustomStringConvertible {
    public var result: CommandResult
    public var description: String { result.description }
}

/// Runs commands for fixtures and checks (tests only: the agent itself never shells out).
public enum Command {
    /// Runs `argv` to completion (killed after `timeout`), capturing both streams.
    @discardableResult
    public static func run(_ argv: [String], environment: [String: String]? = nil, input: String? = nil,
                           timeout: Duration = .seconds(60)) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0].hasPrefix("/") ? argv[0] : "/usr/bin/env")
        process.arguments = argv[0].hasPrefix("/") ? Array(argv.dropFirst()) : argv
        if let environment { process.environment = environment }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let inPipe = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : inPipe
        try process.run()
        if let input {
            inPipe.fileHandleForWriting.write(Data(input.utf8))
            try? inPipe.fileHandleForWriting.close()
        }
        // Read both pipes while the process runs, so that a chatty command never blocks. On
        // threads of their own: Dispatch's global queues are the threads Swift concurrency runs
        // tests on, and hundreds of blocked readers there starve every other suite.
        let outData = DataBox()
        let errData = DataBox()
        let group = DispatchGroup()
        for (pipe, box) in [(out, outData), (err, errData)] {
            group.enter()
            Thread.detachNewThread {
                box.data = pipe.fileHandleForReading.readDataToEndOfFile()
                group.leave()
            }
        }
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        if group.wait(timeout: .now() + seconds) == .timedOut {
            process.terminate()
            kill(process.processIdentifier, SIGKILL)
            group.wait()
        }
        process.waitUntilExit()
        return CommandResult(argv: argv, status: process.terminationStatus,
                             stdout: String(decoding: outData.data, as: UTF8.self),
                             stderr: String(decoding: errData.data, as: UTF8.self))
    }

    /// Runs `argv` and throws with everything it printed unless it exits 0.
    @discardableResult
    public static func check(_ argv: [String], input: String? = nil) throws -> String {
        let result = try run(argv, input: input)
        guard result.status == 0 else { throw CommandFailed(result: result) }
        return result.stdout
    }
}

private final class DataBox: @unchecked Sendable {
    var data = Data()
}

/// A long-running process (the daemon, the simulator) with its output collected, killed on
/// `stop()` or deinit.
public final class BackgroundProcess: @unchecked Sendable {
    public let process: Process
    private let lock = NSLock()
    private var outBuffer = Data()
    private var errBuffer = Data()

    public init(_ argv: [String], environment: [String: String]? = nil) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        if let environment { process.environment = environment }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // A reader thread per stream, until end of file, not `readabilityHandler`: that is a
        // Dispatch source left armed on the pipe after EOF, and freeing the pipe under it
        // crashed libdispatch's manager thread (`_dispatch_event_loop_drain`) in a CI run.
        for (pipe, isOut) in [(out, true), (err, false)] {
            let handle = pipe.fileHandleForReading
            Thread.detachNewThread { [weak self] in
                while true {
                    let data = handle.availableData
                    guard !data.isEmpty, let self else { return }
                    self.lock.withLock {
                        if isOut { self.outBuffer.append(data) } else { self.errBuffer.append(data) }
                    }
                }
            }
        }
    }

    public var pid: Int32 { process.processIdentifier }
    public var stdout: String { lock.withLock { String(decoding: outBuffer, as: UTF8.self) } }
    public var stderr: String { lock.withLock { String(decoding: errBuffer, as: UTF8.self) } }
    public var isRunning: Bool { process.isRunning }

    public func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits for exit up to `timeout`; returns the status, or nil if it is still running.
    public func wait(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// SIGTERM, then SIGKILL after `grace`.
    public func stop(grace: Duration = .seconds(3)) async {
        guard process.isRunning else { return }
        signal(SIGTERM)
        if await wait(timeout: grace) == nil {
            signal(SIGKILL)
            _ = await wait(timeout: .seconds(2))
        }
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held. Tests wait on
/// conditions this way, never on fixed sleeps.
public func eventually(timeout: Duration = .seconds(5), every interval: Duration = .milliseconds(20),
                       _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: interval)
    }
}
