// SPDX-License-Identifier: Apache-2.0
import Foundation
import IMDSSim
import Synchronization
import Testing

/// The package root, found from this file so the tests run from any directory.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The built `imds-sim`: SwiftPM puts it next to the test bundle, which is what runs these tests.
func imdsSimExecutable() throws -> URL {
    let running = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    let candidates = [
        running.deletingLastPathComponent().appendingPathComponent("imds-sim"),
        Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("imds-sim"),
        packageRoot.appendingPathComponent(".build/debug/imds-sim"),
    ]
    return try #require(
        candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) },
        "imds-sim not found; looked at \(candidates.map(\.path))")
}

/// One output stream of a child process, collected as it arrives.
final class CollectedOutput: Sendable {
    private let state = Mutex((text: "", ended: false))

    init(_ pipe: Pipe) {
        // A thread of its own doing blocking reads: readabilityHandler does not reliably report
        // end of file on Linux, and tests wait for it.
        let handle = pipe.fileHandleForReading
        Thread { [self] in
            while true {
                let data = handle.availableData
                state.withLock {
                    if data.isEmpty {
                        $0.ended = true
                    } else {
                        $0.text += String(decoding: data, as: UTF8.self)
                    }
                }
                if data.isEmpty { return }
            }
        }.start()
    }

    var text: String { state.withLock { $0.text } }

    /// Everything, once the writer has closed the stream (nil after 10 s).
    func whole() async -> String? {
        guard await eventually(within: 10, { state.withLock { $0.ended } }) else { return nil }
        return text
    }
}

/// `imds-sim` as a child process.
final class SimProcess: @unchecked Sendable {
    // Process is only touched through its thread-safe accessors (isRunning, terminate...).
    private let process: Process
    private let stdout: CollectedOutput
    private let stderr: CollectedOutput

    init(_ arguments: [String]) throws {
        process = Process()
        process.executableURL = try imdsSimExecutable()
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        stdout = CollectedOutput(out)
        stderr = CollectedOutput(err)
        try process.run()
    }

    var output: String { stdout.text }
    var errors: String { stderr.text }

    /// All of stdout / stderr, once the process has closed them.
    func wholeOutput() async -> String { await stdout.whole() ?? stdout.text }
    func wholeErrors() async -> String { await stderr.whole() ?? stderr.text }

    /// The output's complete lines, once `count` of them have arrived (nil after 10 s).
    func lines(_ count: Int) async -> [String]? {
        var lines: [String] = []
        _ = await eventually(within: 10) {
            lines = output.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
            return lines.count >= count || !process.isRunning
        }
        return lines.count >= count ? lines : nil
    }

    /// The port from the first line, `listening on HOST:PORT`.
    func port() async throws -> Int {
        let first = try #require(await lines(1)?.first, "no first line; stderr: \(errors)")
        let port = try #require(first.split(separator: ":").last.flatMap { Int($0) }, "\(first)")
        return port
    }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// The exit status once the process has exited (nil if it is still running after 10 s).
    func exitStatus() async -> Int32? {
        guard await eventually(within: 10, { !process.isRunning }) else { return nil }
        return process.terminationStatus
    }

    /// Ends the process if a test left it running.
    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    var exitedNormally: Bool { process.terminationReason == .exit }
}

let sampleStateFile = packageRoot.appendingPathComponent("scripts/imds-state.json").path

@Suite struct ExecutableTests {
    @Test("--listen 127.0.0.1:0 prints the bound port first, and that port serves the state file")
    func printsPortAndServes() async throws {
        let sim = try SimProcess(["--listen", "127.0.0.1:0", "--state", sampleStateFile])
        defer { sim.stop() }
        let port = try await sim.port()
        #expect(sim.output.hasPrefix("listening on 127.0.0.1:\(port)\n"))
        let ipv4s = try await fetch(.tcp(port: port), macsPath + primaryMAC + "/private-ipv4s")
        #expect(ipv4s.text == #"["192.168.1.201","192.168.1.202"]"#)
    }

    @Test("SIGTERM exits 0 and removes the admin socket file")
    func sigtermExitsCleanly() async throws {
        let socket = uniqueSocketPath()
        let sim = try SimProcess(["--listen", "127.0.0.1:0", "--state", sampleStateFile, "--admin-socket", socket])
        defer { sim.stop() }
        let lines = try #require(await sim.lines(2), "stdout: \(sim.output); stderr: \(sim.errors)")
        #expect(lines[1] == "admin socket on \(socket)")
        let state = try await fetch(.unix(path: socket), "/_sim/state")
        #expect(state.status == 200)
        sim.signal(SIGTERM)
        #expect(await sim.exitStatus() == 0)
        #expect(sim.exitedNormally)
        #expect(!FileManager.default.fileExists(atPath: socket))
    }

    @Test("SIGINT exits 0 as well")
    func sigintExitsCleanly() async throws {
        let sim = try SimProcess(["--listen", "127.0.0.1:0"])
        defer { sim.stop() }
        _ = try await sim.port()
        sim.signal(SIGINT)
        #expect(await sim.exitStatus() == 0)
        #expect(sim.exitedNormally)
    }

    @Test("--token-mode overrides the state file's token mode")
    func tokenModeFlag() async throws {
        let sim = try SimProcess(["--listen", "127.0.0.1:0", "--state", sampleStateFile, "--token-mode", "required"])
        defer { sim.stop() }
        let port = try await sim.port()
        let plain = try await fetch(.tcp(port: port), instanceIDPath)
        #expect(plain.status == 403)
    }

    @Test("Admin changes through the Unix socket show on the TCP listener")
    func adminSocketDrivesTCP() async throws {
        let socket = uniqueSocketPath()
        let sim = try SimProcess(["--listen", "127.0.0.1:0", "--admin-socket", socket])
        defer { sim.stop() }
        let port = try await sim.port()
        _ = await sim.lines(2)
        let before = try await fetch(.tcp(port: port), instanceIDPath)
        let put = try await fetch(.unix(path: socket), "/_sim/state", method: .PUT, body: #"{"instanceId": "i-from-admin"}"#)
        let after = try await fetch(.tcp(port: port), instanceIDPath)
        #expect(before.status == 404)
        #expect(put.status == 204)
        #expect(after.text == "i-from-admin")
    }

    @Test("An unreadable state file fails with a message naming it")
    func badStateFile() async throws {
        let missing = "/nonexistent/imds-state-\(UUID().uuidString).json"
        let sim = try SimProcess(["--listen", "127.0.0.1:0", "--state", missing])
        defer { sim.stop() }
        let status = await sim.exitStatus()
        #expect(status != nil && status != 0)
        #expect(await sim.wholeErrors().contains(missing))
    }

    @Test("A malformed --listen is a usage error")
    func badListen() async throws {
        let sim = try SimProcess(["--listen", "localhost"])
        defer { sim.stop() }
        #expect(await sim.exitStatus() == 64)
    }

    @Test("--help documents the admin API")
    func helpDocumentsAdmin() async throws {
        let sim = try SimProcess(["--help"])
        defer { sim.stop() }
        #expect(await sim.exitStatus() == 0)
        let help = await sim.wholeOutput()
        for endpoint in ["/_sim/state", "/_sim/enis/<mac>", "/_sim/faults", "/_sim/tokens/expire", "/_sim/counters"] {
            #expect(help.contains(endpoint), "\(endpoint)")
        }
    }
}

@Suite struct SampleStateTests {
    @Test("The sample state file is valid and describes three ENIs in one vSwitch")
    func sampleStateFileLoads() throws {
        let state = try SimState(contentsOfFile: sampleStateFile)
        #expect(state.enis.map(\.mac) == [primaryMAC, secondaryMAC, "00:16:3e:00:00:03"])
        #expect(state.enis.filter(\.primary).map(\.mac) == [primaryMAC])
        #expect(state.enis.map(\.primaryIP) == ["192.168.1.201", "192.168.1.211", "192.168.1.221"])
        #expect(Set(state.enis.map(\.vswitchCIDR)) == ["192.168.1.0/24"])
        #expect(state.enis.map { $0.ipv6s?.count } == [1, 2, 1])
        for eni in state.enis {
            #expect(eni.privateIPv4s?.first == eni.primaryIP, "\(eni.mac)")
        }
    }
}
