// SPDX-License-Identifier: Apache-2.0
@testable import Agent
import Foundation
import Model
import Testing

/// Answers the netlink socket lost (ENOBUFS: its receive buffer overflowed) say nothing of what
/// the kernel did. The engine reads the kernel again and records as owned what the ops added,
/// and only that, on a kernel that keeps no address marks (before Linux 6.1), where the record
/// is the only evidence of ownership.
@Suite struct LostAnswersTests {
    typealias Fixture = SyncEngineTests.Fixture

    @Test func opsAppliedWhoseAnswersWereLostAreRecordedAsOwned() async throws {
        let fixture = Fixture(marksAddresses: false)
        let engine = fixture.engine()
        fixture.kernel.loseAnswers(applying: true)
        let report = await engine.sync()
        #expect(report.exitCode == 0 && report.failures.isEmpty, "\(report.summary) \(report.failures)")
        #expect(report.results.allSatisfy { $0.outcome == .applied }, "\(report.results.map(\.outcome))")
        #expect(SyncEngineTests.addresses(fixture.kernel.current, on: "eth1") == ["10.0.0.11/24", "10.0.0.12/24"])
        let recorded = try fixture.recorded()
        #expect(recorded.isSuperset(of: ["10.0.0.11/24", "10.0.0.12/24", "10.0.0.21/24", "10.0.0.22/24"]), "\(recorded)")
        #expect(fixture.log.lines(.warning, containing: "answers to").count == 1)

        // Owned, so an address metadata drops goes after the grace.
        fixture.kernel.loseAnswers(applying: nil)
        await Self.expectRemovedWhenMetadataDropsIt(fixture, engine)
    }

    @Test func opsNotAppliedWhoseAnswersWereLostFailAndClaimNothing() async throws {
        let fixture = Fixture(marksAddresses: false)
        let engine = fixture.engine()
        fixture.kernel.loseAnswers(applying: false)
        let report = await engine.sync()
        #expect(report.exitCode == ExitStatus.failure && report.failures.count == report.plan.count, "\(report.summary)")
        #expect(report.failures.allSatisfy { if case .failed = $0.outcome { true } else { false } })
        #expect(try fixture.recorded().isEmpty)
        // An administrator adds one of those addresses meanwhile: it is theirs, never claimed.
        fixture.kernel.change { kernel in
            kernel.addresses.append(Address(ifindex: 3, ifname: "eth1", prefix: IPPrefix("10.0.0.12/24")!))
        }
        fixture.kernel.loseAnswers(applying: nil)
        _ = await engine.sync()
        #expect(try !fixture.recorded().contains("10.0.0.12/24"))
        #expect(try fixture.recorded().contains("10.0.0.11/24"))
    }
}

extension LostAnswersTests {
    /// Answers lost, and the kernel cannot be read again to settle them: the ops count as failed,
    /// but the addresses they would add stay recorded as intended, so that those the kernel did
    /// add are still the agent's to remove when metadata drops them.
    @Test func addsWhoseAnswersWereLostAndCouldNotBeSettledStayRecordedAsIntended() async throws {
        let fixture = Fixture(marksAddresses: false)
        let engine = fixture.engine()
        fixture.kernel.loseAnswers(applying: true)
        fixture.kernel.whenApplying { [kernel = fixture.kernel] _ in kernel.failSnapshots("EIO") }
        let report = await engine.sync()
        #expect(report.exitCode == ExitStatus.failure, "\(report.summary)")
        #expect(fixture.log.lines(.warning, containing: "stay recorded as intended").count == 1)
        #expect(try fixture.recorded().isSuperset(of: ["10.0.0.11/24", "10.0.0.12/24"]))

        fixture.kernel.whenApplying { _ in }
        fixture.kernel.failSnapshots(nil)
        fixture.kernel.loseAnswers(applying: nil)
        await Self.expectRemovedWhenMetadataDropsIt(fixture, engine)
    }

    /// Metadata drops 10.0.0.12 from eth1: an owned address goes after the grace (two reads).
    static func expectRemovedWhenMetadataDropsIt(_ fixture: Fixture, _ engine: SyncEngine,
                                                 sourceLocation: SourceLocation = #_sourceLocation) async {
        var network = Sample.network()
        network.enis[1].privateIPv4s.removeLast()
        fixture.metadata.script(.network(network))
        _ = await engine.sync()
        _ = await engine.sync()
        #expect(!SyncEngineTests.addresses(fixture.kernel.current, on: "eth1").contains("10.0.0.12/24"), sourceLocation: sourceLocation)
    }
}

extension SyncEngineTests.Fixture {
    /// The addresses the state file records as the agent's.
    func recorded() throws -> Set<String> {
        let state = try #require(try StateStore(directory: directory).load())
        return Set(state.ownership.addresses.map(\.prefix.description))
    }
}
