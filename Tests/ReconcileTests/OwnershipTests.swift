// SPDX-License-Identifier: Apache-2.0
import Testing
import Foundation
import Model
@testable import Reconcile

/// Issue 15, item 8: where the kernel keeps address marks the mark decides; the record only
/// where there is none (docs/design.md §4.1).
@Suite("Ownership of addresses")
struct AddressOwnershipTests {
    static let unassigned: InstanceNetwork = {
        var network = Lab.network
        network.enis[1].privateIPv4s.removeAll { $0 == v4("192.168.1.212") }
        return network
    }()

    /// Somebody deletes the agent's 192.168.1.212 on eth1 and adds the same IP back, unmarked.
    static func readded(_ cycle: inout Cycle, prefix text: String = "192.168.1.212/24") {
        cycle.kernel.state.addresses.removeAll { $0.address == .v4(v4("192.168.1.212")) }
        cycle.kernel.addForeign(Address(ifindex: 3, ifname: "eth1", prefix: prefix(text)))
    }

    @Test func onAKernelThatMarksAddressesAForeignReAddIsNeverRemoved() {
        var cycle = Cycle(kernel: Lab.kernel, config: PlanConfig(removalGrace: 1))
        cycle.run(Lab.network)
        Self.readded(&cycle)
        for _ in 0..<3 {
            #expect(!cycle.run(Self.unassigned).lines.contains { $0.hasPrefix("address del 192.168.1.212") })
        }
        #expect(cycle.kernel.state.addresses.contains { $0.address == .v4(v4("192.168.1.212")) })
    }

    @Test func anyMarkInTheSnapshotSaysTheKernelKeepsMarks() {
        // No agent address is left marked, but the kernel marked its own ::1: a record alone no
        // longer makes an unmarked address the agent's.
        var kernel = Lab.kernel
        kernel.addresses.append(Address(ifindex: 1, ifname: "lo", prefix: prefix("::1/128"), proto: 1))
        kernel.addresses.append(Address(ifindex: 3, ifname: "eth1", prefix: prefix("192.168.1.212/24")))
        let owned = Ownership(addresses: [OwnedAddress(mac: mac("00:16:3e:00:00:02"), ifindex: 3, prefix: prefix("192.168.1.212/24"))])
        let ownership = AddressOwnership(kernel: kernel, ownership: owned)
        #expect(ownership.kernelMarksAddresses)
        #expect(!ownership.owns(kernel.addresses.last!))
        #expect(ownership.owns(Address(ifindex: 3, ifname: "eth1", prefix: prefix("192.168.1.213/24"), proto: 233)))
        #expect(!ownership.owns(Address(ifindex: 3, ifname: "eth1", prefix: prefix("192.168.1.214/24"), proto: 2)))
    }

    @Test func onAKernelWithoutMarksTheRecordDecides() {
        var cycle = Cycle(kernel: Lab.kernel, config: PlanConfig(removalGrace: 2), marksAddresses: false)
        cycle.run(Lab.network)
        #expect(cycle.kernel.state.addresses.allSatisfy { $0.proto == nil })
        #expect(cycle.run(Self.unassigned).removals.isEmpty)
        #expect(cycle.run(Self.unassigned).lines.contains("address del 192.168.1.212/24 dev eth1 noprefixroute"))
    }

    @Test func onAKernelWithoutMarksAReAddAfterASyncSawTheAddressGoneIsNotTheAgents() {
        var cycle = Cycle(kernel: Lab.kernel, config: PlanConfig(removalGrace: 1), marksAddresses: false)
        cycle.run(Lab.network)
        cycle.kernel.state.addresses.removeAll { $0.address == .v4(v4("192.168.1.212")) }
        cycle.run(Self.unassigned)  // sees it gone: the record goes
        #expect(!cycle.ownership.addresses.contains { $0.address == .v4(v4("192.168.1.212")) })
        cycle.kernel.addForeign(Address(ifindex: 3, ifname: "eth1", prefix: prefix("192.168.1.212/24")))
        #expect(!cycle.run(Self.unassigned).lines.contains { $0.hasPrefix("address del 192.168.1.212") })
    }

    @Test func onAKernelWithoutMarksAReAddWithAnotherPrefixLengthIsNotTheAgents() {
        var cycle = Cycle(kernel: Lab.kernel, config: PlanConfig(removalGrace: 1), marksAddresses: false)
        cycle.run(Lab.network)
        Self.readded(&cycle, prefix: "192.168.1.212/25")
        #expect(!cycle.run(Self.unassigned).lines.contains { $0.hasPrefix("address del 192.168.1.212") })
    }
}

/// Removal-grace counts are kept per object (`ObjectKey`), in the state file too.
@Suite("Removal grace counts")
struct GraceCountTests {
    static let without222: InstanceNetwork = {
        var network = Lab.network
        network.enis[2].privateIPv4s.removeAll { $0 == v4("192.168.1.222") }
        return network
    }()

    @Test func aRenameDoesNotRestartTheCount() {
        var cycle = Cycle(kernel: Lab.kernel, config: PlanConfig(removalGrace: 3))
        cycle.run(Lab.network)
        #expect(cycle.run(Self.without222).isEmpty)
        cycle.kernel.rename(index: 4, to: "ens5")
        #expect(cycle.run(Self.without222).isEmpty)
        #expect(cycle.run(Self.without222).lines.contains("address del 192.168.1.222/24 dev ens5 noprefixroute proto 233"))
    }

    @Test func aRecreatedLinkStartsTheCountAgain() {
        var cycle = Cycle(kernel: Lab.kernel, config: PlanConfig(removalGrace: 2))
        cycle.run(Lab.network)
        #expect(cycle.run(Self.without222).isEmpty)
        #expect(cycle.ownership.pendingRemovals[.address(AddressKey(ifindex: 4, address: .v4(v4("192.168.1.222"))))] == 1)
        cycle.kernel.recreateLink(index: 4, as: 14)
        cycle.run(Lab.network)  // configured again on the new link, .222 included
        #expect(cycle.kernel.state.addresses.contains { $0.ifindex == 14 && $0.address == .v4(v4("192.168.1.222")) })
        #expect(!cycle.run(Self.without222).lines.contains { $0.hasPrefix("address del 192.168.1.222") }, "a count of 1, not 2")
        #expect(cycle.run(Self.without222).lines.contains("address del 192.168.1.222/24 dev eth2 noprefixroute proto 233"))
    }

    @Test func theStateFileKeepsCountsByObject() throws {
        var cycle = Cycle(kernel: Lab.kernel, config: PlanConfig(removalGrace: 3), marksAddresses: false)
        cycle.run(Lab.network)
        cycle.run(Self.without222)
        let data = try JSONEncoder().encode(cycle.ownership)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(#""removalCounts":[{"#), "\(text)")
        #expect(!text.contains("eth2"), "no interface name in a key: \(text)")
        #expect(try JSONDecoder().decode(Ownership.self, from: data) == cycle.ownership)
    }

    @Test func aStateFileFromBeforeLosesOnlyItsCounts() throws {
        let old = #"""
        {"addresses": [{"mac": "00:16:3e:00:00:02", "ifindex": 3, "prefix": "192.168.1.212/24"}],
         "pendingRemovals": {"address del 192.168.1.222/24 dev eth2 noprefixroute proto 233": 1}}
        """#
        let ownership = try JSONDecoder().decode(Ownership.self, from: Data(old.utf8))
        #expect(ownership.addresses == [OwnedAddress(mac: mac("00:16:3e:00:00:02"), ifindex: 3, prefix: prefix("192.168.1.212/24"))])
        #expect(ownership.pendingRemovals.isEmpty)
    }

    @Test func countsOutOfRangeInAStateFileNeitherTrapNorHurry() throws {
        let key = ObjectKey.address(AddressKey(ifindex: 4, address: .v4(v4("192.168.1.222"))))
        let json = String(decoding: try JSONEncoder().encode(key), as: UTF8.self)
        let file = #"{"addresses": [], "removalCounts": [{"object": \#(json), "count": 9223372036854775807}, {"object": \#(json), "count": -3}]}"#
        let ownership = try JSONDecoder().decode(Ownership.self, from: Data(file.utf8))
        #expect(ownership.pendingRemovals == [key: .max])
        var cycle = Cycle(kernel: Lab.kernel, config: PlanConfig(removalGrace: 2))
        cycle.run(Lab.network)
        cycle.ownership = ownership
        let plan = cycle.run(Self.without222)
        #expect(plan.lines.contains("address del 192.168.1.222/24 dev eth2 noprefixroute proto 233"))

        let negative = #"{"addresses": [], "removalCounts": [{"object": \#(json), "count": -3}]}"#
        #expect(try JSONDecoder().decode(Ownership.self, from: Data(negative.utf8)).pendingRemovals.isEmpty)
    }
}
