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

    /// eth1: 10.0.1.10 (the kernel's primary of 10.0.1.0/24, ours), 10.0.1.11 (ours), and
    /// 10.0.1.12 (an administrator's).
    static let primary = address("10.0.1.10/24")
    static let ours = address("10.0.1.11/24", secondary: true)
    static let theirs = address("10.0.1.12/24", secondary: true)
    static let kernel = KernelState(addresses: [primary, ours, theirs])

    @Test func secondariesGoFirstAndAPrimaryWithNothingElseInItsSubnetGoesLast() {
        let alone = KernelState(addresses: [Self.primary, Self.ours])
        let (ops, held) = AddressRemovalOrder.arrange([Self.removal(Self.primary), Self.removal(Self.ours)], actual: alone,
                                                      promotesSecondaries: { _ in false })
        #expect(ops.map(\.op) == [.removeAddress(Self.ours), .removeAddress(Self.primary)])
        #expect(held.isEmpty)
    }

    @Test func aPrimaryThatWouldTakeAForeignAddressWithItIsHeldBack() {
        let (ops, held) = AddressRemovalOrder.arrange([Self.removal(Self.primary), Self.removal(Self.ours)], actual: Self.kernel,
                                                      promotesSecondaries: { _ in false })
        #expect(ops.map(\.op) == [.removeAddress(Self.ours)])
        #expect(held.map(\.0.op) == [.removeAddress(Self.primary)])
        #expect(held.first?.1 == [Self.theirs])
    }

    @Test func withPromoteSecondariesThePrimaryGoesAndTheRestIsPromoted() {
        var asked: [String] = []
        let (ops, held) = AddressRemovalOrder.arrange([Self.removal(Self.primary)], actual: Self.kernel,
                                                      promotesSecondaries: { asked.append($0); return true })
        #expect(ops.map(\.op) == [.removeAddress(Self.primary)])
        #expect(held.isEmpty)
        #expect(asked == ["eth1"])
    }

    @Test func onlySameLinkSameSubnetIPv4AddressesAreBystanders() {
        let kernel = KernelState(addresses: [
            Self.primary,
            Self.address("10.0.2.12/24", secondary: true),   // another subnet
            Self.address("10.0.1.12/24", ifindex: 4),        // another link
            Self.address("10.0.1.12/25", secondary: true),   // another prefix length
            Self.address("2408:4005:3a4:ab00::12/64"),       // IPv6: no such thing as secondaries
        ])
        let (ops, held) = AddressRemovalOrder.arrange([Self.removal(Self.primary)], actual: kernel, promotesSecondaries: { _ in false })
        #expect(ops.map(\.op) == [.removeAddress(Self.primary)])
        #expect(held.isEmpty)
    }

    @Test func otherOpsKeepTheirPlaceBeforeThePrimaries() {
        let rule = PlannedOp(op: .removeRule(Rule(family: .v4, priority: 20003, source: prefix("10.0.1.11/32"), table: 20003, proto: 233)),
                             reason: "test", eni: nil)
        let (ops, _) = AddressRemovalOrder.arrange([Self.removal(Self.primary), rule, Self.removal(Self.ours)],
                                                   actual: KernelState(addresses: [Self.primary, Self.ours]),
                                                   promotesSecondaries: { _ in false })
        #expect(ops.map(\.op) == [rule.op, .removeAddress(Self.ours), .removeAddress(Self.primary)])
    }
}
