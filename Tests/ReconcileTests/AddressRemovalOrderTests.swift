// SPDX-License-Identifier: Apache-2.0
import Model
import Reconcile
import Testing

/// Deleting a subnet's primary IPv4 address deletes its secondaries with it unless the link has
/// promote_secondaries: removals are ordered, and held back where they would take more.
@Suite struct AddressRemovalOrderTests {
    static func address(_ text: String, secondary: Bool = false, ifindex: Int32 = 3) -> Address {
        Address(ifindex: ifindex, ifname: "eth\(ifindex - 2)", prefix: prefix(text), flags: secondary ? [.secondary] : [])
    }

    static func removal(_ address: Address) -> PlannedOp {
        PlannedOp(op: .removeAddress(address), reason: "test", eni: nil)
    }

    static func addition(_ address: Address) -> PlannedOp {
        PlannedOp(op: .addAddress(address), reason: "test", eni: nil)
    }

    static func kernel(_ addresses: [Address], promotes: Bool? = nil) -> KernelState {
        KernelState(links: [Link(index: 3, name: "eth1", mac: mac("00:16:3e:00:00:02"), isUp: true, promotesSecondaries: promotes),
                            Link(index: 4, name: "eth2", mac: mac("00:16:3e:00:00:03"), isUp: true)],
                    addresses: addresses)
    }

    /// eth1: 10.0.1.10 (the kernel's primary of 10.0.1.0/24, ours), 10.0.1.11 (ours), and
    /// 10.0.1.12 (an administrator's).
    static let primary = address("10.0.1.10/24")
    static let ours = address("10.0.1.11/24", secondary: true)
    static let theirs = address("10.0.1.12/24", secondary: true)

    @Test func secondariesGoFirstAndAPrimaryWithNothingElseInItsSubnetGoesLast() {
        let order = AddressRemovalOrder.arrange([Self.removal(Self.primary), Self.removal(Self.ours)],
                                                actual: Self.kernel([Self.primary, Self.ours]))
        #expect(order.afterAdditions.map(\.op) == [.removeAddress(Self.ours), .removeAddress(Self.primary)])
        #expect(order.beforeAdditions.isEmpty)
        #expect(order.held.isEmpty)
    }

    @Test func aPrimaryThatWouldTakeAForeignAddressWithItIsHeldBack() {
        let order = AddressRemovalOrder.arrange([Self.removal(Self.primary), Self.removal(Self.ours)],
                                                actual: Self.kernel([Self.primary, Self.ours, Self.theirs]))
        #expect(order.afterAdditions.map(\.op) == [.removeAddress(Self.ours)])
        #expect(order.held.map(\.removal.op) == [.removeAddress(Self.primary)])
        #expect(order.held.first?.bystanders == [Self.theirs])
    }

    @Test(arguments: [false, nil] as [Bool?])
    func unknownPromoteSecondariesIsTheKernelDefaultOff(promotes: Bool?) {
        let order = AddressRemovalOrder.arrange([Self.removal(Self.primary)], actual: Self.kernel([Self.primary, Self.theirs], promotes: promotes))
        #expect(order.held.count == 1)
    }

    @Test func withPromoteSecondariesThePrimaryGoesAndTheRestIsPromoted() {
        let order = AddressRemovalOrder.arrange([Self.removal(Self.primary)], actual: Self.kernel([Self.primary, Self.ours, Self.theirs], promotes: true))
        #expect(order.afterAdditions.map(\.op) == [.removeAddress(Self.primary)])
        #expect(order.held.isEmpty)
    }

    @Test func aPrimaryThatWouldTakeOnlyThisPlansAdditionsGoesBeforeThem() {
        let new = Self.address("10.0.1.13/24")
        let order = AddressRemovalOrder.arrange([Self.removal(Self.ours), Self.removal(Self.primary)], adding: [Self.addition(new)],
                                                actual: Self.kernel([Self.primary, Self.ours]))
        #expect(order.beforeAdditions.map(\.op) == [.removeAddress(Self.ours), .removeAddress(Self.primary)])
        #expect(order.afterAdditions.isEmpty)
        #expect(order.held.isEmpty)
        // With an address that stays as well, no order keeps both: held, naming both.
        let held = AddressRemovalOrder.arrange([Self.removal(Self.primary)], adding: [Self.addition(new)],
                                               actual: Self.kernel([Self.primary, Self.theirs]))
        #expect(held.held.first?.bystanders == [Self.theirs, new])
    }

    @Test func onlySameLinkSameSubnetIPv4AddressesAreBystanders() {
        let kernel = Self.kernel([
            Self.primary,
            Self.address("10.0.2.12/24", secondary: true),   // another subnet
            Self.address("10.0.1.12/24", ifindex: 4),        // another link
            Self.address("10.0.1.12/25", secondary: true),   // another prefix length
            Self.address("2408:4005:3a4:ab00::12/64"),       // IPv6: no such thing as secondaries
        ])
        let order = AddressRemovalOrder.arrange([Self.removal(Self.primary)], adding: [Self.addition(Self.address("10.0.1.14/24", ifindex: 4))],
                                                actual: kernel)
        #expect(order.afterAdditions.map(\.op) == [.removeAddress(Self.primary)])
        #expect(order.held.isEmpty)
    }

    @Test func otherOpsKeepTheirPlaceBeforeThePrimaries() {
        let rule = PlannedOp(op: .removeRule(Rule(family: .v4, priority: 20003, source: prefix("10.0.1.11/32"), table: 20003, proto: 233)),
                             reason: "test", eni: nil)
        let order = AddressRemovalOrder.arrange([Self.removal(Self.primary), rule, Self.removal(Self.ours)],
                                                actual: Self.kernel([Self.primary, Self.ours]))
        #expect(order.afterAdditions.map(\.op) == [rule.op, .removeAddress(Self.ours), .removeAddress(Self.primary)])
    }
}
