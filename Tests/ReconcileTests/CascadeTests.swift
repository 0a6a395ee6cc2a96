// SPDX-License-Identifier: Apache-2.0
import Testing
import Model
@testable import Reconcile

/// Issue 15, item 5: with promote_secondaries off (the kernel default; nil = not reported),
/// deleting a subnet's primary address deletes its secondaries. Every removal the planner emits
/// is ordered, in the sync path as in cleanup, and held back only where no order keeps the rest.
@Suite("Planner: the promote_secondaries cascade (docs/design.md §4.5)")
struct CascadeTests {
    /// eth1 (link 3) with `addresses` added in this order: the first is the subnet's primary.
    static func kernel(ours: [String], foreign: [String] = [], promotes: Bool? = nil) -> KernelModel {
        var state = Lab.kernel
        state.links[2].isUp = true
        state.links[2].promotesSecondaries = promotes
        var model = KernelModel(state: state)
        for text in ours {
            _ = model.apply([.addAddress(Address(ifindex: 3, ifname: "eth1", prefix: prefix(text), flags: [.noPrefixRoute], proto: 233))])
        }
        for text in foreign { model.addForeign(Address(ifindex: 3, ifname: "eth1", prefix: prefix(text))) }
        return model
    }

    static func eth1(_ addresses: [String], primary: String = "192.168.1.211") -> InstanceNetwork {
        var network = Lab.network
        network.enis[1].primaryIPv4 = v4(primary)
        network.enis[1].privateIPv4s = addresses.map(v4)
        return network
    }

    static func present(_ cycle: Cycle) -> Set<String> {
        Set(cycle.kernel.state.addresses.filter { $0.ifindex == 3 && $0.family == .v4 }.map { "\($0.address)" })
    }

    @Test func aRemovalThatWouldTakeAForeignAddressWithItIsHeldBackWithAWarning() {
        // .212 became the subnet's primary (added first); an administrator's .215 is its secondary.
        var cycle = Cycle(kernel: Self.kernel(ours: ["192.168.1.212/24", "192.168.1.211/24"], foreign: ["192.168.1.215/24"]).state,
                          config: PlanConfig(removalGrace: 1))
        let plan = cycle.run(Self.eth1(["192.168.1.211", "192.168.1.213"]))
        #expect(Self.present(cycle) == ["192.168.1.211", "192.168.1.212", "192.168.1.213", "192.168.1.215"])
        #expect(!plan.lines.contains { $0.hasPrefix("address del 192.168.1.212") })
        #expect(plan.notes.contains { $0.level == .warning && $0.message.hasPrefix("left 192.168.1.212/24 on eth1") && $0.message.contains("192.168.1.215/24") })
        // The same warning next time, not a new one (logged once), and still nothing lost.
        let again = cycle.run(Self.eth1(["192.168.1.211", "192.168.1.213"]))
        #expect(again.notes.filter { $0.level == .warning } == plan.notes.filter { $0.level == .warning && $0.message.hasPrefix("left") })
        #expect(Self.present(cycle).contains("192.168.1.215"))
    }

    @Test func aPrimaryWhoseRemovalWouldTakeOnlyThisPlansAdditionsGoesFirst() {
        var cycle = Cycle(kernel: Self.kernel(ours: ["192.168.1.212/24"]).state, config: PlanConfig(removalGrace: 1))
        let plan = cycle.run(Self.eth1(["192.168.1.211", "192.168.1.213"]))
        #expect(plan.lines.first == "address del 192.168.1.212/24 dev eth1 noprefixroute proto 233")
        #expect(Self.present(cycle) == ["192.168.1.211", "192.168.1.213"])
        #expect(cycle.run(Self.eth1(["192.168.1.211", "192.168.1.213"])).lines == [])
    }

    @Test func secondariesGoBeforeTheirPrimaryInTheSyncPathToo() {
        var cycle = Cycle(kernel: Self.kernel(ours: ["192.168.1.211/24", "192.168.1.212/24", "192.168.1.213/24"]).state,
                          config: PlanConfig(removalGrace: 1))
        cycle.run(Self.eth1(["192.168.1.211", "192.168.1.212", "192.168.1.213"]))
        var detached = Lab.network
        detached.enis.remove(at: 1)
        let plan = cycle.run(detached)
        let removals = plan.lines.filter { $0.hasPrefix("address del") }
        #expect(removals.last == "address del 192.168.1.211/24 dev eth1 noprefixroute proto 233", "\(removals)")
        #expect(plan.notes.allSatisfy { !$0.message.hasPrefix("left") })
    }

    @Test func withPromoteSecondariesOnTheLinkThePrimaryGoesAndTheOthersStay() {
        var cycle = Cycle(kernel: Self.kernel(ours: ["192.168.1.212/24", "192.168.1.211/24"], foreign: ["192.168.1.215/24"], promotes: true).state,
                          config: PlanConfig(removalGrace: 1))
        let plan = cycle.run(Self.eth1(["192.168.1.211", "192.168.1.213"]))
        #expect(plan.lines.contains("address del 192.168.1.212/24 dev eth1 noprefixroute proto 233"))
        #expect(Self.present(cycle) == ["192.168.1.211", "192.168.1.213", "192.168.1.215"])
    }
}
