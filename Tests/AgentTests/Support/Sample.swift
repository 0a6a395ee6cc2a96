// SPDX-License-Identifier: Apache-2.0
import Model

/// An instance with `enis` ENIs in vSwitch 10.0.0.0/24 (eth0 primary, as DHCP left it), and the
/// metadata that describes it, built rather than written out: each ENI i has the MAC
/// 00:16:3e:00:00:0(i+1), link index i+2 and the addresses 10.0.0.(10i+1)...
enum Sample {
    static func mac(_ i: Int) -> MACAddress { MACAddress(bytes: [0x00, 0x16, 0x3e, 0x00, 0x00, UInt8(i + 1)])! }
    static func v4(_ i: Int, _ k: Int) -> IPv4Address { IPv4Address("10.0.0.\(10 * i + k + 1)")! }
    static let subnet = IPPrefix("10.0.0.0/24")!
    static let gateway = IPv4Address("10.0.0.253")!

    /// ENI i lists `addresses` private IPv4s, its primary first.
    static func eni(_ i: Int, addresses: Int = 2) -> ENI {
        let ips = (0..<addresses).map { v4(i, $0) }
        return ENI(mac: mac(i), id: "eni-test\(i)", primaryIPv4: ips[0], privateIPv4s: ips, ipv4Subnet: subnet, gateway: gateway)
    }

    static func network(enis: Int = 3, addresses: Int = 2) -> InstanceNetwork {
        InstanceNetwork(primaryMAC: mac(0), instanceID: "i-test", enis: (0..<enis).map { eni($0, addresses: addresses) })
    }

    /// The links, eth0 up with its DHCP address and default route, the others bare.
    static func kernel(enis: Int = 3) -> KernelState {
        KernelState(
            links: [Link(index: 1, name: "lo", mac: nil, isUp: true)]
                + (0..<enis).map { Link(index: Int32($0 + 2), name: "eth\($0)", mac: mac($0), isUp: $0 == 0) },
            addresses: [Address(ifindex: 2, ifname: "eth0", prefix: IPPrefix(address: .v4(v4(0, 0)), length: 24)!)],
            routes: [Route(table: RouteTable.main, destination: .defaultRoute(.v4), gateway: .v4(gateway), ifindex: 2,
                           ifname: "eth0", proto: 16)],
            rules: [Rule(family: .v4, priority: 32766, table: RouteTable.main, proto: 2)]
        )
    }
}

/// Polls `condition` until it holds or `timeout` passes: how the loop tests wait for what the
/// loop does, with a timeout generous enough for a loaded machine. Never a timed assertion.
func eventually(timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return try await condition()
}
