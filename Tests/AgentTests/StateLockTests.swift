// SPDX-License-Identifier: Apache-2.0
@testable import Agent
import Foundation
import Metadata
import Model
import Reconcile
import Testing

/// Issue 15, item 9: `eni-agent --sync` beside the daemon. One writer of the state file at a time
/// (a lock), and each takes in what the other wrote, so ownership recorded by one is not lost
/// to the other. On a kernel without address marks (before Linux 6.1) that record is the only
/// evidence of ownership: the fake kernel here keeps no marks.
@Suite struct StateLockTests {
    typealias Fixture = SyncEngineTests.Fixture

    static let extra = IPPrefix("10.0.0.13/24")!

    /// ENI 1 with a third address.
    static func assigned() -> InstanceNetwork {
        var network = Sample.network()
        network.enis[1].privateIPv4s.append(IPv4Address("10.0.0.13")!)
        return network
    }

    static func has(_ kernel: FakeKernel) -> Bool {
        kernel.current.addresses.contains { $0.ifindex == 3 && $0.prefix == extra }
    }

    /// The daemon is running; a `--sync` adds an address metadata now lists and records it; the
    /// daemon's later syncs keep that record, so when the address is unassigned the daemon
    /// removes it (a daemon that knew only its own record would leave it forever as foreign).
    @Test func ownershipRecordedByAConcurrentSyncIsKept() async throws {
        let fixture = Fixture(marksAddresses: false)
        let daemon = fixture.engine()
        await daemon.restoreState()
        _ = await daemon.sync()

        var config = AgentConfig()
        config.stateDirectory = fixture.directory
        let cli = SyncEngine(config: config, kernel: fixture.kernel, metadata: ScriptedMetadata(.network(Self.assigned())).source(for:),
                             logger: fixture.log.logger())
        await cli.restoreState()
        let added = await cli.sync()
        #expect(added.exitCode == 0 && Self.has(fixture.kernel), "\(added.summary)")

        fixture.metadata.script(.network(Self.assigned()))
        _ = await daemon.sync()
        #expect(await daemon.ownership.addresses.contains { $0.prefix == Self.extra }, "the daemon took the --sync's record in")
        let file = try #require(try StateStore(directory: fixture.directory).load())
        #expect(file.ownership.addresses.contains { $0.prefix == Self.extra }, "and the state file keeps it")

        fixture.metadata.script(.network(Sample.network()))
        for _ in 1...2 { _ = await daemon.sync() }
        #expect(!Self.has(fixture.kernel), "unassigned, removed after the grace: \(fixture.log.all)")
    }

    /// While another process holds the lock, a sync waits (and says so once); then it reads
    /// what that process wrote before it plans.
    @Test func aSyncWaitsForTheLockAndReadsWhatItsHolderWrote() async throws {
        let fixture = Fixture(marksAddresses: false)
        let daemon = fixture.engine()
        await daemon.restoreState()
        _ = await daemon.sync()
        let store = StateStore(directory: fixture.directory)
        let lock = try #require(try store.tryLock(), "nobody holds it between syncs")
        #expect(try store.tryLock() == nil, "one holder at a time")

        let syncing = Task { await daemon.sync() }
        #expect(await eventually { !fixture.log.lines(.info, containing: "waiting for \(store.lockPath)").isEmpty }, "\(fixture.log.all)")
        // What a --sync does meanwhile: adds an address and records it.
        fixture.kernel.change { $0.addresses.append(Address(ifindex: 3, ifname: "eth1", prefix: Self.extra, flags: .secondary)) }
        var state = try #require(try store.load())
        state.ownership.addresses.append(OwnedAddress(mac: Sample.mac(1), ifindex: 3, prefix: Self.extra))
        try store.save(state)
        lock.release()

        let report = await syncing.value
        #expect(report.exitCode == 0, "\(report.summary)")
        #expect(fixture.log.lines(.info, containing: "waiting for").count == 1)
        #expect(!fixture.log.lines(.info, containing: "written by another eni-agent").isEmpty, "\(fixture.log.all)")
        // Metadata does not list it: once the grace has passed, the daemon removes what it now owns.
        _ = await daemon.sync()
        #expect(!Self.has(fixture.kernel), "\(fixture.log.all)")
    }
}
