// SPDX-License-Identifier: Apache-2.0
import Foundation
import Model
import Netlink
import Testing
import TestSupport

extension NetlinkSuite {
    /// Why the per-ENI default routes look as they do (docs/design.md §3): the kernel's own
    /// answers, through apply().
    @Suite(.requiresRoot) struct GatewayRouteTests {
        @Test func anIPv4DefaultRouteInATableNeedsOnlinkWhenTheLinkHasOnlyNoprefixrouteAddresses() async throws {
            let ns = try await makeNamespace("nlg")
            defer { ns.destroy() }
            let eth1 = try await ns.link("eth1", peer: "peer1")
            let client = try NetlinkClient(namespacePath: ns.path)
            #expect(unexpected(await client.apply([.addAddress(address("10.1.0.5/24", on: eth1, flags: [.noPrefixRoute]))]), .applied).isEmpty)

            let plain = route("default", table: 20003, via: "10.1.0.1", on: eth1)
            let refused = await client.apply([.addRoute(plain)])[0].outcome
            #expect(refused.errno == ENETUNREACH, "without onlink no table holds a route to the gateway: \(refused)")
            #expect(refused.message?.contains("Nexthop has invalid gateway") == true, "the kernel's extended ACK: \(refused)")

            let onlink = route("default", table: 20003, via: "10.1.0.1", on: eth1, onlink: true)
            #expect(await client.apply([.addRoute(onlink)])[0].outcome == .applied)
            #expect(try await client.snapshot().route(matching: onlink) != nil)
            #expect(try await IPView(ns: ns).routes(table: "20003").contains { $0["gateway"] as? String == "10.1.0.1" })
        }

        /// The primary ENI (eth0) and a secondary one (eth1) share the vSwitch's /64; main routes it
        /// via eth0. IPv6 checks an onlink gateway against main, so eth1's default route with onlink
        /// is a "device mismatch"; the planner puts the /64 into eth1's table first and leaves
        /// onlink off, and then the kernel checks the route's own table.
        @Test func anIPv6DefaultRouteWithOnlinkIsADeviceMismatchWhileThePlannersFormWorks() async throws {
            let ns = try await makeNamespace("nlg")
            defer { ns.destroy() }
            try await ns.link("eth0", peer: "peer0")
            let eth1 = try await ns.link("eth1", peer: "peer1")
            try await ns.run("address", "add", "2001:db8:1::10/64", "dev", "eth0", "nodad")
            let client = try NetlinkClient(namespacePath: ns.path)
            #expect(unexpected(await client.apply([.addAddress(address("2001:db8:1::11/64", on: eth1, flags: [.noDAD, .noPrefixRoute]))]),
                               .applied).isEmpty)
            #expect(try await IPView(ns: ns).routes(table: "main", family: "-6").contains { $0["dst"] as? String == "2001:db8:1::/64"
                    && $0["dev"] as? String == "eth0" })

            let withOnlink = route("default", table: 20003, via: "2001:db8:1::1", on: eth1, onlink: true)
            let refused = await client.apply([.addRoute(withOnlink)])[0].outcome
            #expect(refused.errno == EINVAL, "\(refused)")
            #expect(refused.message?.contains("device mismatch") == true, "the kernel's extended ACK: \(refused)")

            let planned: [Op] = [.addRoute(route("2001:db8:1::/64", table: 20003, on: eth1)),
                                 .addRoute(route("default", table: 20003, via: "2001:db8:1::1", on: eth1))]
            let results = await client.apply(planned)
            #expect(unexpected(results, .applied).isEmpty, "\(unexpected(results, .applied))")
            let table = try await IPView(ns: ns).routes(table: "20003", family: "-6")
            #expect(table.contains { $0["dst"] as? String == "default" && $0["gateway"] as? String == "2001:db8:1::1" && $0["dev"] as? String == "eth1" },
                    "\(table)")
            #expect(table.count == 2)
        }
    }
}
