// SPDX-License-Identifier: Apache-2.0
import Model
@testable import Reconcile

func mac(_ text: String) -> MACAddress { MACAddress(text)! }
func v4(_ text: String) -> IPv4Address { IPv4Address(text)! }
func v6(_ text: String) -> IPv6Address { IPv6Address(text)! }
func prefix(_ text: String) -> IPPrefix { IPPrefix(text)! }

/// The lab of the README: an ECS instance with a primary ENI (eth0) and two secondary ENIs,
/// all in vSwitch 192.168.1.0/24 with IPv6, before eni-agent ran. Addresses as in Alibaba's docs.
enum Lab {
    static let gateway6 = v6("2408:4005:3a4:ab00:ffff:ffff:ffff:fffd")

    static var network: InstanceNetwork {
        InstanceNetwork(primaryMAC: mac("00:16:3e:00:00:01"), instanceID: "i-bp67acfmxazb4ph4dbg4", enis: [
            ENI(mac: mac("00:16:3e:00:00:01"), id: "eni-bp1primary", primaryIPv4: v4("192.168.1.201"),
                privateIPv4s: [v4("192.168.1.201"), v4("192.168.1.202")], ipv4Subnet: prefix("192.168.1.0/24"),
                gateway: v4("192.168.1.253"), ipv6s: [v6("2408:4005:3a4:ab00::201")], ipv6Gateway: gateway6,
                ipv6Subnet: prefix("2408:4005:3a4:ab00::/64")),
            ENI(mac: mac("00:16:3e:00:00:02"), id: "eni-bp1second", primaryIPv4: v4("192.168.1.211"),
                privateIPv4s: [v4("192.168.1.211"), v4("192.168.1.212"), v4("192.168.1.213")],
                ipv4Subnet: prefix("192.168.1.0/24"), gateway: v4("192.168.1.253"),
                ipv6s: [v6("2408:4005:3a4:ab00::211"), v6("2408:4005:3a4:ab00::212")], ipv6Gateway: gateway6,
                ipv6Subnet: prefix("2408:4005:3a4:ab00::/64")),
            ENI(mac: mac("00:16:3e:00:00:03"), id: "eni-bp1third", primaryIPv4: v4("192.168.1.221"),
                privateIPv4s: [v4("192.168.1.221"), v4("192.168.1.222")], ipv4Subnet: prefix("192.168.1.0/24"),
                gateway: v4("192.168.1.253"), ipv6s: [v6("2408:4005:3a4:ab00::221")], ipv6Gateway: gateway6,
                ipv6Subnet: prefix("2408:4005:3a4:ab00::/64")),
        ])
    }

    /// eth0 configured by DHCP; eth1 down, eth2 up, both bare; docker0 not an ENI.
    static var kernel: KernelState {
        KernelState(
            links: [
                Link(index: 1, name: "lo", mac: nil, isUp: true),
                Link(index: 2, name: "eth0", mac: mac("00:16:3e:00:00:01"), isUp: true),
                Link(index: 3, name: "eth1", mac: mac("00:16:3e:00:00:02"), isUp: false),
                Link(index: 4, name: "eth2", mac: mac("00:16:3e:00:00:03"), isUp: true),
                Link(index: 5, name: "docker0", mac: mac("02:42:ac:11:00:01"), isUp: true),
            ],
            addresses: [
                Address(ifindex: 1, ifname: "lo", prefix: prefix("127.0.0.1/8")),
                Address(ifindex: 2, ifname: "eth0", prefix: prefix("192.168.1.201/24")),
                Address(ifindex: 5, ifname: "docker0", prefix: prefix("172.17.0.1/16")),
            ],
            routes: [
                Route(table: RouteTable.main, destination: .defaultRoute(.v4), gateway: .v4(v4("192.168.1.253")),
                      ifindex: 2, ifname: "eth0", proto: 16),
                Route(table: RouteTable.main, destination: prefix("192.168.1.0/24"), ifindex: 2, ifname: "eth0",
                      preferredSource: .v4(v4("192.168.1.201")), scope: .link, proto: 2),
                Route(table: RouteTable.main, destination: prefix("172.17.0.0/16"), ifindex: 5, ifname: "docker0",
                      preferredSource: .v4(v4("172.17.0.1")), scope: .link, proto: 2),
            ],
            rules: [
                Rule(family: .v4, priority: 0, table: RouteTable.local, proto: 2),
                Rule(family: .v4, priority: 32766, table: RouteTable.main, proto: 2),
                Rule(family: .v4, priority: 32767, table: RouteTable.default, proto: 2),
                Rule(family: .v6, priority: 0, table: RouteTable.local, proto: 2),
                Rule(family: .v6, priority: 32766, table: RouteTable.main, proto: 2),
            ]
        )
    }
}

extension Plan {
    /// The plan as `ip` lines, the form every planner test compares.
    var lines: [String] { ops.map(\.op.description) }
    var removals: [Op] { ops.map(\.op).filter(\.isRemoval) }
}

/// Plans, applies to the model, records ownership: one sync cycle without a kernel.
struct Cycle {
    var kernel: KernelModel
    var ownership = Ownership()
    var config = PlanConfig()

    init(kernel: KernelState, config: PlanConfig = PlanConfig(), marksAddresses: Bool = true) {
        self.kernel = KernelModel(state: kernel, marksAddresses: marksAddresses)
        self.config = config
    }

    /// What the kernel answered to the last run's ops.
    private(set) var results: [OpResult] = []

    @discardableResult
    mutating func run(_ network: InstanceNetwork?) -> Plan {
        let plan = Reconcile.plan(desired: network, actual: kernel.state, owned: ownership, config: config)
        results = kernel.apply(plan.ops.map(\.op))
        ownership = plan.ownership.recording(results, macs: kernel.macs)
        return plan
    }
}
