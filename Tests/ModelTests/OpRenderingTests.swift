// SPDX-License-Identifier: Apache-2.0
import Testing
@testable import Model

@Suite struct OpRenderingTests {
    let eth1 = Address(ifindex: 3, ifname: "eth1", prefix: IPPrefix("192.168.1.212/24")!, flags: [.noPrefixRoute], proto: 233)

    @Test func everyOpRendersAsTheIpCommandThatDoesTheSame() {
        let v6 = Address(ifindex: 3, ifname: "eth1", prefix: IPPrefix("2408:4005:3a4:ab00::212/64")!, flags: [.noDAD, .noPrefixRoute], proto: 233)
        let route = Route(table: 20003, destination: .defaultRoute(.v4), gateway: IPAddress("192.168.1.253"), ifindex: 3, ifname: "eth1", onlink: true)
        let rule = Rule(family: .v4, priority: 10003, source: .host(IPAddress("192.168.1.212")!), table: 10003)
        let suppress = Rule(family: .v6, priority: 19999, table: RouteTable.main, suppressPrefixLength: 0)
        #expect(Op.setLinkUp(ifindex: 3, ifname: "eth1").description == "link set dev eth1 up")
        #expect(Op.addAddress(eth1).description == "address add 192.168.1.212/24 dev eth1 noprefixroute proto 233")
        #expect(Op.removeAddress(v6).description == "-6 address del 2408:4005:3a4:ab00::212/64 dev eth1 nodad noprefixroute proto 233")
        #expect(Op.addRoute(route).description == "route add default via 192.168.1.253 dev eth1 onlink table 20003 proto 233")
        #expect(Op.addRoute(route, replace: true).description == "route replace default via 192.168.1.253 dev eth1 onlink table 20003 proto 233")
        #expect(Op.addRule(rule).description == "rule add from 192.168.1.212 lookup 10003 priority 10003 proto 233")
        #expect(Op.removeRule(suppress).description == "-6 rule del from all lookup main suppress_prefixlength 0 priority 19999 proto 233")
    }

    @Test func addsAreNotRemovalsAndRemovalsAre() {
        #expect(!Op.addAddress(eth1).isRemoval)
        #expect(Op.removeAddress(eth1).isRemoval)
        #expect(!Op.setLinkUp(ifindex: 1, ifname: "x").isRemoval)
    }

    @Test func valuesRoundTripThroughJSONAsText() throws {
        let network = InstanceNetwork(primaryMAC: MACAddress("00:16:3e:00:00:01")!, enis: [
            ENI(mac: MACAddress("00:16:3e:00:00:01")!, primaryIPv4: IPv4Address("192.168.1.201"),
                ipv4Subnet: IPPrefix("192.168.1.0/24"), ipv6s: [IPv6Address("2408::1")!], completeness: .incomplete(reason: "x")),
        ])
        let data = try JSONEncoderShim.encode(network)
        #expect(data.contains("\"192.168.1.201\"") && data.contains("\"2408::1\"") && data.contains("\"00:16:3e:00:00:01\""))
        #expect(try JSONEncoderShim.decode(InstanceNetwork.self, from: data) == network)
    }
}
