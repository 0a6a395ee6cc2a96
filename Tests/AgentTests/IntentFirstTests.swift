// SPDX-License-Identifier: Apache-2.0
@testable import Agent
import Foundation
import Model
import Synchronization
import Testing

/// Intent first (docs/design.md §4.8): on a kernel that keeps no address marks (before Linux 6.1)
/// the state file records the addresses an apply adds before the kernel sees the first op, and
/// is settled after it. What the file holds when the kernel gets the ops is what a `kill -9` at
/// that moment would leave for the next run.
@Suite struct IntentFirstTests {
    typealias Fixture = SyncEngineTests.Fixture

    static func adds(_ ops: [Op]) -> Set<String> {
        Set(ops.compactMap { if case .addAddress(let a) = $0 { a.prefix.description } else { nil } })
    }

    /// The state file's records when the kernel received the ops (nil: there was no file).
    final class Seen: Sendable {
        let records = Mutex<Set<String>?>(nil)
        let ops = Mutex<[Op]>([])

        func watch(_ fixture: Fixture, then body: @escaping @Sendable () -> Void = {}) {
            let directory = fixture.directory
            fixture.kernel.whenApplying { [self] ops in
                let state = try? StateStore(directory: directory).load()
                records.withLock { $0 = state.map { Set($0.ownership.addresses.map(\.prefix.description)) } }
                self.ops.withLock { $0 += ops }
                body()
            }
        }
    }

    @Test func theAddressesAnApplyAddsAreRecordedBeforeTheKernelSeesThem() async throws {
        let fixture = Fixture(marksAddresses: false)
        let seen = Seen()
        seen.watch(fixture)
        let report = await fixture.engine().sync()
        #expect(report.exitCode == 0, "\(report.summary)")
        let added = Self.adds(seen.ops.withLock { $0 })
        #expect(added.isSuperset(of: ["10.0.0.2/24", "10.0.0.11/24", "10.0.0.12/24", "10.0.0.21/24", "10.0.0.22/24"]), "\(added)")
        #expect(seen.records.withLock { $0 } == added)
        #expect(try fixture.recorded() == added)
    }

    @Test func addsThatFailAreDroppedFromTheRecordAfterTheApply() async throws {
        let fixture = Fixture(marksAddresses: false)
        let seen = Seen()
        // eth2 goes away between the kernel read and the apply: its adds fail (ENODEV).
        seen.watch(fixture) { [kernel = fixture.kernel] in kernel.change { $0.links.removeAll { $0.name == "eth2" } } }
        let report = await fixture.engine().sync()
        #expect(report.exitCode == ExitStatus.failure, "\(report.summary)")
        #expect(seen.records.withLock { $0 }?.isSuperset(of: ["10.0.0.21/24", "10.0.0.22/24"]) == true)
        let recorded = try fixture.recorded()
        #expect(recorded.isDisjoint(with: ["10.0.0.21/24", "10.0.0.22/24"]) && recorded.contains("10.0.0.11/24"), "\(recorded)")
    }

    @Test func aKernelThatMarksAddressesIsNotWrittenToBeforeTheApply() async throws {
        var kernel = Sample.kernel()
        kernel.addresses.append(Address(ifindex: 1, ifname: "lo", prefix: IPPrefix("::1/128")!, proto: 1))
        let fixture = Fixture(kernel: kernel)
        let seen = Seen()
        seen.watch(fixture)
        let report = await fixture.engine().sync()
        #expect(report.exitCode == 0 && !seen.ops.withLock { $0 }.isEmpty, "\(report.summary)")
        #expect(seen.records.withLock { $0 } == nil, "the mark goes in with the address")
    }
}
