// SPDX-License-Identifier: Apache-2.0
#if canImport(Glibc)
import Glibc
#endif
@testable import Agent
import Logging
import Model
import Monitoring
import NIOPosix
import Reconcile
import Testing

/// The file node_exporter reads: replaced whole by a rename in its own directory, readable by
/// another user whatever the daemon's umask, and never left as a temporary `.prom`.
@Suite(.serialized) struct MetricsFileTests {
    let directory: String

    init() throws {
        var template = Array("/tmp/eni-agent-metrics-XXXXXX".utf8CString)
        directory = try #require(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }.map { String(cString: $0) })
    }

    func cleanUp() {
        for name in entries() { unlink("\(directory)/\(name)") }
        rmdir(directory)
    }

    func entries() -> [String] {
        var names: [String] = []
        guard let dir = opendir(directory) else { return names }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(dir)
        return names.sorted()
    }

    static func report(changes: Int, metadata: MetadataOutcome = .complete) -> SyncReport {
        let mac = MACAddress("00:16:3e:00:00:01")!
        let address = Address(ifindex: 3, ifname: "eth1", prefix: IPPrefix("192.168.1.5/24")!)
        var report = SyncReport(id: 1, startedAt: "", durationMilliseconds: 12, metadata: metadata, metadataRequests: 3, dryRun: false,
                                plan: [], results: Array(repeating: OpResult(op: .addAddress(address), outcome: .applied), count: changes),
                                notes: [], managed: [], kernelError: nil)
        report.addressStates = [ENIAddressStates(eni: ENIRef(id: "eni-1", mac: mac, ifname: "eth1"), counts: [.owned: 2])]
        report.metadataRequestOutcomes = ["ok": 3]
        return report
    }

    /// The rename replaces the file (a new inode: a reader holding the old one reads it
    /// whole), the temporary file is gone, and the mode is 0644 under the units' UMask=0077.
    @Test func writtenAtomicallyAndReadableByNodeExporter() async throws {
        defer { cleanUp() }
        let path = "\(directory)/eni-agent.prom"
        let old = umask(0o077)
        defer { umask(old) }
        let file = MetricsFile(path: path, version: "9.9", io: nil, logger: Logger(label: "test"))
        await file.record(Self.report(changes: 1), from: .metadata)
        var first = stat()
        #expect(stat(path, &first) == 0)
        #expect(first.st_mode & 0o777 == 0o644)
        let text = try TextFile.read(path)
        #expect(text.contains("eni_agent_addresses{eni=\"eni-1\",mac=\"00:16:3e:00:00:01\",interface=\"eth1\",state=\"owned\"} 2\n"))
        #expect(text.contains("eni_agent_operations_total{action=\"add\",object=\"address\",outcome=\"applied\"} 1\n"))
        #expect(text.contains("eni_agent_build_info{version=\"9.9\"} 1\n"))

        await file.record(Self.report(changes: 2), from: .metadata)
        var second = stat()
        #expect(stat(path, &second) == 0)
        #expect(second.st_ino != first.st_ino)
        #expect(try TextFile.read(path).contains("outcome=\"applied\"} 3\n"))
        #expect(entries() == ["eni-agent.prom"])
    }

    /// A quiet sync (no change, the same gauges) leaves the file for the minute's refresh.
    @Test func aQuietSyncDoesNotRewriteTheFile() async throws {
        defer { cleanUp() }
        let path = "\(directory)/eni-agent.prom"
        let file = MetricsFile(path: path, version: "1", io: nil, logger: Logger(label: "test"))
        await file.record(Self.report(changes: 0), from: .metadata)
        #expect(unlink(path) == 0)
        await file.record(Self.report(changes: 0), from: .metadata)
        #expect(entries().isEmpty)
        // The metadata state changing is worth a write at once.
        await file.record(Self.report(changes: 0, metadata: .unavailable(reason: "down")), from: .metadata)
        #expect(try TextFile.read(path).contains("eni_agent_metadata_state{state=\"unavailable\"} 1\n"))
        #expect(unlink(path) == 0)
        // So is a change, whatever the gauges.
        await file.record(Self.report(changes: 1, metadata: .unavailable(reason: "down")), from: .metadata)
        #expect(entries() == ["eni-agent.prom"])
    }

    /// A failed write (the directory is gone) leaves nothing behind, and the next change tries again.
    @Test func aFailedWriteLeavesNothingBehind() async throws {
        defer { cleanUp() }
        let path = "\(directory)/missing/eni-agent.prom"
        let file = MetricsFile(path: path, version: "1", io: nil, logger: Logger(label: "test"))
        await file.record(Self.report(changes: 1), from: .metadata)
        #expect(entries().isEmpty)
    }

    /// A quiet daemon still rewrites the file once it is `refresh` old, so its mtime and counters
    /// show it alive. (A short refresh here; the daemon's is a minute.)
    @Test func anOldFileIsRewrittenByTheRefresh() async throws {
        defer { cleanUp() }
        let path = "\(directory)/eni-agent.prom"
        let file = MetricsFile(path: path, version: "1", io: nil, logger: Logger(label: "test"), refresh: .milliseconds(200))
        await file.record(Self.report(changes: 0), from: .metadata)
        #expect(unlink(path) == 0)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let refresher = Task { await file.refreshPeriodically(on: group.next()) }
        var rewritten = false
        for _ in 0..<500 where !rewritten {
            try await Task.sleep(for: .milliseconds(20))
            rewritten = access(path, F_OK) == 0
        }
        refresher.cancel()
        await refresher.value
        try await group.shutdownGracefully()
        #expect(rewritten, "not rewritten within 10 s")
    }
}
