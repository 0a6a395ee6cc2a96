// SPDX-License-Identifier: Apache-2.0
import Foundation
import IMDSSim
import NIOHTTP1
import Testing

/// A socket path no other test (or test run) uses; short, because sun_path holds 108 bytes.
func uniqueSocketPath() -> String {
    "/tmp/imds-sim-\(getpid())-\(UUID().uuidString.prefix(8)).sock"
}

/// Binds and closes a Unix socket without unlinking it, as a crashed process would leave it.
func leaveSocketFile(at path: String) throws {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    try #require(fd >= 0)
    defer { close(fd) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { buffer in
        buffer.copyBytes(from: path.utf8.prefix(buffer.count - 1))
    }
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    try #require(bound == 0, "bind \(path): errno \(errno)")
}

@Suite struct ConnectionTests {
    @Test("Several requests are answered on one kept-alive connection")
    func keepAlive() async throws {
        try await withSimulator { sim, endpoint in
            let bodies = try await withConnection(endpoint) { connection in
                var bodies: [String] = []
                for path in [instanceIDPath, zoneIDPath, macsPath, "/latest/meta-data/nope", instanceIDPath] {
                    bodies.append(try await connection.request(path).text)
                }
                _ = try await connection.request(tokenPath, method: .PUT, headers: [(ttlHeader, "60")])
                _ = try await connection.request("/_sim/state")
                return bodies
            }
            #expect(bodies[0] == "i-bp1e3fhzdm2hgvz6q7ta")
            #expect(bodies[1] == "cn-hangzhou-k")
            #expect(bodies[4] == bodies[0])
            #expect(sim.counters().total == 6)
        }
    }

    @Test("A request with Connection: close is answered, then the connection is closed")
    func connectionClose() async throws {
        try await withSimulator { _, endpoint in
            try await withConnection(endpoint) { connection in
                let response = try await connection.request(instanceIDPath, headers: [("Connection", "close")])
                #expect(response.status == 200)
                #expect(response.headers.first(name: "Connection")?.lowercased() == "close")
                #expect(try await connection.peerClosed())
            }
        }
    }

    @Test("A delayed answer on one connection does not hold up another connection")
    func delayIsPerConnection() async throws {
        // Far apart, so that a loaded machine cannot blur them: the slow answer takes 6 s.
        try await withSimulator(faults: [SimFault(path: instanceIDPath, delayMs: 6000)]) { _, endpoint in
            async let slow = fetch(endpoint, instanceIDPath)
            let start = ContinuousClock.now
            let fast = try await fetch(endpoint, zoneIDPath)
            #expect(ContinuousClock.now - start < .milliseconds(4000))
            #expect(fast.status == 200)
            #expect(try await slow.status == 200)
        }
    }

    @Test("stop closes connections that are still open")
    func stopClosesConnections() async throws {
        let sim = IMDSSimulator(state: .sample)
        let port = try await sim.start()
        try await withConnection(.tcp(port: port)) { connection in
            _ = try await connection.request(instanceIDPath)
            try await sim.stop()
            #expect(try await connection.peerClosed())
        }
    }

    @Test("A simulator cannot be started twice")
    func startTwice() async throws {
        try await withSimulator { sim, _ in
            await #expect(throws: SimError.self) { try await sim.start() }
        }
    }

    @Test("The Unix socket serves the metadata and the admin API, and stop removes its file")
    func unixSocket() async throws {
        let path = uniqueSocketPath()
        try await withSimulator(unixSocket: path) { sim, _ in
            #expect(sim.unixSocketPath == path)
            let id = try await fetch(.unix(path: path), instanceIDPath)
            let state = try await fetch(.unix(path: path), "/_sim/state")
            let bodies = try await withConnection(.unix(path: path)) { connection in
                [try await connection.request(zoneIDPath).text, try await connection.request(zoneIDPath).text]
            }
            #expect(id.text == "i-bp1e3fhzdm2hgvz6q7ta")
            #expect(state.status == 200)
            #expect(bodies == ["cn-hangzhou-k", "cn-hangzhou-k"])
            #expect(FileManager.default.fileExists(atPath: path))
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("A socket file left behind by an earlier process is replaced")
    func staleSocketReplaced() async throws {
        let path = uniqueSocketPath()
        try leaveSocketFile(at: path)
        #expect(FileManager.default.fileExists(atPath: path))
        try await withSimulator(unixSocket: path) { _, _ in
            let id = try await fetch(.unix(path: path), instanceIDPath)
            #expect(id.status == 200)
        }
    }

    @Test("A regular file at the Unix socket path is neither deleted nor replaced")
    func regularFileKept() async throws {
        let path = uniqueSocketPath()
        #expect(FileManager.default.createFile(atPath: path, contents: Data("keep me".utf8)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let sim = IMDSSimulator(state: .sample)
        await #expect(throws: (any Error).self) { try await sim.start(unixSocket: path) }
        try await sim.stop()
        #expect(FileManager.default.contents(atPath: path) == Data("keep me".utf8))
    }

    @Test("An over-large request body is refused with 413")
    func oversizedRequestBody() async throws {
        try await withSimulator { sim, endpoint in
            let huge = String(repeating: " ", count: (1 << 20) + 1)
            let put = try await fetch(endpoint, "/_sim/state", method: .PUT, body: huge)
            #expect(put.status == 413)
            #expect(sim.state() == .sample)
        }
    }
}
