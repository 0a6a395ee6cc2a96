// SPDX-License-Identifier: Apache-2.0
@testable import Agent
import Foundation
import Metadata
import Model
import Testing

/// One sync cycle against the fake kernel and a scripted metadata service: what it applies, what
/// it reports, what it records, and what it refuses to do.
@Suite struct SyncEngineTests {
    /// An engine over fakes with its own state directory, removed at the end.
    final class Fixture: Sendable {
        let kernel: FakeKernel
        let metadata: ScriptedMetadata
        let log = RecordingLog()
        let directory = NSTemporaryDirectory() + "eni-agent-tests-\(UUID().uuidString)"

        init(kernel: KernelState = Sample.kernel(), marksAddresses: Bool = true) {
            self.kernel = FakeKernel(kernel, marksAddresses: marksAddresses)
            metadata = ScriptedMetadata(.network(Sample.network()))
        }

        func engine(config: AgentConfig = AgentConfig()) -> SyncEngine {
            var config = config
            config.stateDirectory = directory
            return SyncEngine(config: config, kernel: kernel, metadata: metadata.source(for:), logger: log.logger())
        }

        deinit { try? FileManager.default.removeItem(atPath: directory) }
    }

    static func addresses(_ kernel: KernelState, on ifname: String) -> Set<String> {
        Set(kernel.addresses.filter { $0.ifname == ifname }.map(\.prefix.description))
    }

    @Test func aFirstSyncAddsWhatMetadataListsAndASecondChangesNothing() async throws {
        let fixture = Fixture()
        let engine = fixture.engine()
        let first = await engine.sync()
        #expect(first.exitCode == 0 && first.metadata == .complete, "\(first.summary)")
        #expect(first.changes > 0 && first.failures.isEmpty)
        #expect(Self.addresses(fixture.kernel.current, on: "eth1") == ["10.0.0.11/24", "10.0.0.12/24"])
        #expect(first.metadataRequests == 7)

        let applied = fixture.kernel.applied.count
        let second = await engine.sync()
        #expect(second.changes == 0 && second.plan.isEmpty && second.exitCode == 0, "\(second.summary)")
        #expect(fixture.kernel.applied.count == applied)
        #expect(second.id == first.id + 1)
    }

    @Test func aFailedReadRemovesNothingAndExits69() async throws {
        let fixture = Fixture()
        let engine = fixture.engine()
        _ = await engine.sync()
        let before = fixture.kernel.current
        fixture.metadata.script(.failure(.unavailable(reason: "HTTP 500")))
        let report = await engine.sync()
        #expect(report.exitCode == ExitStatus.unavailable, "\(report.summary)")
        guard case .unavailable(let reason) = report.metadata else {
            Issue.record("\(report.metadata)")
            return
        }
        #expect(reason.contains("HTTP 500"))
        #expect(!fixture.kernel.applied.contains { $0.isRemoval })
        #expect(fixture.kernel.current == before)
    }

    @Test func aReadThatNoLongerListsAnAddressRemovesItOnlyAfterTheGrace() async throws {
        let fixture = Fixture()
        let engine = fixture.engine()
        _ = await engine.sync()
        var network = Sample.network()
        network.enis[1].privateIPv4s.removeLast()
        fixture.metadata.script(.network(network))
        _ = await engine.sync()
        #expect(Self.addresses(fixture.kernel.current, on: "eth1").contains("10.0.0.12/24"), "removed before the grace")
        _ = await engine.sync()
        #expect(!Self.addresses(fixture.kernel.current, on: "eth1").contains("10.0.0.12/24"))
    }

    @Test func aCachedReplanRestoresARemovedAddressWithoutAMetadataRead() async throws {
        let fixture = Fixture()
        let engine = fixture.engine()
        _ = await engine.sync()
        fixture.kernel.change { $0.addresses.removeAll { $0.prefix.description == "10.0.0.12/24" } }
        let reads = fixture.metadata.reads
        let report = await engine.sync(from: .cache)
        #expect(report.metadata == .cached && report.changes > 0, "\(report.summary)")
        #expect(Self.addresses(fixture.kernel.current, on: "eth1").contains("10.0.0.12/24"))
        #expect(fixture.metadata.reads == reads)
    }

    @Test func aKernelThatCannotBeReadChangesNothingAndExits1() async throws {
        let fixture = Fixture()
        let engine = fixture.engine()
        fixture.kernel.failSnapshots("EPERM")
        let report = await engine.sync()
        #expect(report.kernelError?.contains("EPERM") == true)
        #expect(report.exitCode == ExitStatus.failure)
        #expect(fixture.kernel.applied.isEmpty)
        #expect(fixture.log.lines(.error, containing: "cannot read the kernel").count == 1)
    }

    @Test func aDryRunPlansButAppliesAndRecordsNothing() async throws {
        let fixture = Fixture()
        let report = await fixture.engine().sync(dryRun: true)
        #expect(!report.plan.isEmpty && report.results.isEmpty)
        #expect(fixture.kernel.applied.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: fixture.directory + "/state.json"))
    }

    /// The state file carries ownership and the sync counter to the next run (a restart, or the
    /// daemon after the boot-time `--sync`).
    @Test func aNewEngineContinuesFromTheStateFile() async throws {
        let fixture = Fixture()
        let first = await fixture.engine().sync()
        let next = fixture.engine()
        await next.restoreState()
        #expect(await next.hasCachedMetadata)
        // Metadata drops an address for two reads: only recorded ownership lets it go.
        var network = Sample.network()
        network.enis[2].privateIPv4s.removeLast()
        fixture.metadata.script(.network(network))
        let second = await next.sync()
        #expect(second.id == first.id + 1)
        _ = await next.sync()
        #expect(!Self.addresses(fixture.kernel.current, on: "eth2").contains("10.0.0.22/24"))
    }

    @Test func anUnreadableStateFileIsReportedAndKernelMarksStillCount() async throws {
        let fixture = Fixture()
        try FileManager.default.createDirectory(atPath: fixture.directory, withIntermediateDirectories: true)
        try "{ not json".write(toFile: fixture.directory + "/state.json", atomically: true, encoding: .utf8)
        let engine = fixture.engine()
        await engine.restoreState()
        #expect(fixture.log.lines(.warning, containing: "state file").count == 1)
        #expect(await !engine.hasCachedMetadata)
    }

    @Test func cleanupRemovesWhatTheAgentOwnsAndNothingElse() async throws {
        let fixture = Fixture()
        let engine = fixture.engine()
        _ = await engine.sync()
        // An administrator's address on an ENI, in another subnet: not ours.
        fixture.kernel.change { kernel in
            kernel.addresses.append(Address(ifindex: 3, ifname: "eth1", prefix: IPPrefix("10.9.9.9/24")!))
        }
        let results = try await engine.cleanUp()
        #expect(!results.isEmpty && results.allSatisfy(\.outcome.succeeded))
        let after = fixture.kernel.current
        #expect(Self.addresses(after, on: "eth0") == ["10.0.0.1/24"], "the primary's DHCP address stays")
        #expect(Self.addresses(after, on: "eth1") == ["10.9.9.9/24"])
        #expect(!after.rules.contains { $0.proto == eniAgentProtocol } && !after.routes.contains { $0.proto == eniAgentProtocol })
    }

    /// "0 objects removed" was what a failed kernel read looked like: it is an error now.
    @Test func cleanupSaysWhyItRemovedNothing() async throws {
        let fixture = Fixture()
        let engine = fixture.engine()
        await #expect(throws: CleanUpError.self) { try await engine.cleanUp() }
        _ = await engine.sync()
        fixture.kernel.failSnapshots("EPERM")
        do {
            _ = try await engine.cleanUp()
            Issue.record("a cleanup without a kernel read reported success")
        } catch {
            #expect("\(error)".contains("EPERM"))
        }
    }

    @Test func aReloadReadsThroughASourceForTheNewConfiguration() async throws {
        let fixture = Fixture()
        let engine = fixture.engine()
        var config = AgentConfig()
        config.stateDirectory = fixture.directory
        config.metadata.port = 8080
        await engine.update(config: config)
        #expect(fixture.metadata.configurations.map(\.port) == [80, 8080])
        #expect(fixture.metadata.shutdowns == 1)
    }

    @Test func aNICMetadataDoesNotListIsReportedForTheHotPlugLooks() async throws {
        var kernel = Sample.kernel()
        kernel.links.append(Link(index: 9, name: "eth9", mac: MACAddress("00:16:3e:00:00:99")!, isUp: false))
        kernel.links.append(Link(index: 10, name: "veth0", mac: MACAddress("02:42:ac:11:00:02")!, isUp: true))
        let fixture = Fixture(kernel: kernel)
        let report = await fixture.engine().sync()
        #expect(report.unlistedNICs == ["eth9"])
    }
}
