// SPDX-License-Identifier: Apache-2.0
import Model
import Netlink
import Testing
import TestSupport

extension NetlinkSuite {
    /// snapshot() against `ip`: a namespace configured with `ip -n` only, read both ways.
    @Suite(.requiresRoot) struct SnapshotTests {
        /// eth1 up with carrier and MTU 9000, eth2 down, eth3 up without carrier (its peer is down);
        /// addresses, routes in main, 100, 10003, 20003 and rules of both families, all made by `ip`.
        static func populated() async throws -> NetworkNamespace {
            let ns = try await makeNamespace("nls")
            let setup = [
                "link add eth1 address 02:00:00:00:01:01 mtu 9000 type veth peer name peer1 address 02:00:00:00:01:02",
                "link add eth2 address 02:00:00:00:02:01 type veth peer name peer2",
                "link add eth3 address 02:00:00:00:03:01 type veth peer name peer3",
                "link set peer1 up", "link set eth1 up", "link set eth3 up",
                "address add 10.1.0.5/24 dev eth1 noprefixroute",
                "address add 10.1.0.6/24 dev eth1",
                "address add 192.168.7.1/24 dev eth2",
                "address add 2001:db8:1::5/64 dev eth1 nodad noprefixroute",
                "address add 2001:db8:3::5/64 dev eth3 nodad",
                "route add 10.1.0.0/24 dev eth1 scope link src 10.1.0.5 table 10003 proto 233",
                "route add 10.9.0.0/16 via 10.1.0.1 dev eth1 onlink src 10.1.0.5 metric 50 table 10003 proto 233",
                "route add default via 10.1.0.1 dev eth1 onlink table 20003 proto 233",
                "route add blackhole 203.0.113.0/24 table 10003",
                "route add 192.0.2.0/24 dev eth1 table 100 proto static metric 7",
                "route add 198.51.100.0/24 via 10.1.0.1 dev eth1 onlink proto static",
                "rule add from 10.1.0.5 lookup 10003 priority 10003 proto 233",
                "rule add lookup main suppress_prefixlength 0 priority 19999 proto 233",
                "rule add from 10.1.0.0/24 lookup 100 priority 500",
                "rule add iif eth1 lookup 100 priority 600",
            ]
            // `ip -batch` takes no "-6 " lines: the IPv6 ones go through `ip -6 -batch`.
            let setup6 = [
                "route add default via 2001:db8:1::1 dev eth1 onlink table 20003 proto 233",
                "route add 2001:db8:9::/48 dev eth1 table 300 metric 5",
                "rule add from 2001:db8:1::5 lookup 20003 priority 20003 proto 233",
                "rule add lookup main suppress_prefixlength 0 priority 19999 proto 233",
                "rule add fwmark 0x10 lookup 100 priority 601",
            ]
            do {
                try await ns.batch(setup)
                try await ns.batch(setup6, family: "-6")
            } catch {
                ns.destroy()
                throw error
            }
            return ns
        }

        /// Reads `ip`, the snapshot, `ip` again until both `ip` reads agree (the kernel was still
        /// settling, e.g. adding link-local addresses on carrier), and returns the last pair.
        static func settled(_ client: NetlinkClient, _ select: (KernelState) -> Set<String>,
                            _ read: () async throws -> Set<String>) async throws -> (ours: Set<String>, ip: Set<String>) {
            var last: (Set<String>, Set<String>) = ([], [])
            _ = try await eventually(timeout: .seconds(5)) {
                let before = try await read()
                let ours = select(try await client.snapshot())
                let after = try await read()
                last = (ours, after)
                return before == after && ours == after
            }
            return last
        }

        @Test func linksMatchIpWithIndexNameMacStateCarrierAndMTU() async throws {
            let ns = try await Self.populated()
            defer { ns.destroy() }
            let client = try NetlinkClient(namespacePath: ns.path)
            let (ours, ip) = try await Self.settled(client, \.linkLines) { try await IPView(ns: ns).links() }
            #expect(ours.symmetricDifference(ip).isEmpty, "\(difference(ours, ip))")

            let state = try await client.snapshot()
            let eth1 = try #require(state.links.first { $0.name == "eth1" })
            #expect(eth1.index == (try await ns.ifindex("eth1")))
            #expect(eth1.mac == MACAddress("02:00:00:00:01:01"))
            #expect(eth1.isUp && eth1.hasCarrier && eth1.mtu == 9000)
            let eth2 = try #require(state.links.first { $0.name == "eth2" })
            #expect(!eth2.isUp && !eth2.hasCarrier && eth2.mtu == 1500)
            let eth3 = try #require(state.links.first { $0.name == "eth3" })
            #expect(eth3.isUp && !eth3.hasCarrier, "up, but its peer is down")
            #expect(state.links.count == 7, "lo and three veth pairs")
        }

        @Test func addressesOfBothFamiliesMatchIpWithPrefixLengthAndFlags() async throws {
            let ns = try await Self.populated()
            defer { ns.destroy() }
            let client = try NetlinkClient(namespacePath: ns.path)
            let (ours, ip) = try await Self.settled(client, \.addressLines) { try await IPView(ns: ns).addresses() }
            #expect(ours.symmetricDifference(ip).isEmpty, "\(difference(ours, ip))")

            let state = try await client.snapshot()
            let eth1 = try await ns.ifindex("eth1")
            let v4 = try #require(state.addresses.first { $0.address == IPAddress("10.1.0.5") })
            #expect(v4.ifindex == eth1 && v4.ifname == "eth1" && v4.prefix.length == 24)
            #expect(v4.flags.isSuperset(of: [.noPrefixRoute, .permanent]) && !v4.flags.contains(.secondary))
            let secondary = try #require(state.addresses.first { $0.address == IPAddress("10.1.0.6") })
            #expect(secondary.flags.contains(.secondary) && !secondary.flags.contains(.noPrefixRoute))
            let v6 = try #require(state.addresses.first { $0.address == IPAddress("2001:db8:1::5") })
            #expect(v6.prefix.length == 64 && v6.flags.isSuperset(of: [.noDAD, .noPrefixRoute, .permanent]))
            #expect(!v6.flags.contains(.tentative), "nodad: never tentative")
            #expect(state.addresses.contains { $0.address == IPAddress("192.168.7.1") && $0.ifname == "eth2" })
            let byIP = ["10.1.0.5", "10.1.0.6", "192.168.7.1", "2001:db8:1::5", "2001:db8:3::5"].map { IPAddress($0)! }
            #expect(state.addresses.filter { byIP.contains($0.address) }.allSatisfy { $0.proto == nil },
                    "added by ip without a protocol: IFA_PROTO absent")
            // The kernel marks its own: link-local (IFAPROT_KERNEL_LL 3) and ::1 (IFAPROT_KERNEL_LO 1).
            #expect(state.addresses.filter { $0.address.description.hasPrefix("fe80:") }.allSatisfy { $0.proto == 3 })
            #expect(state.address(Address(ifindex: 1, ifname: "lo", prefix: prefix("::1/128")))?.proto == 1)
            // And a plain netlink read of the same kernel agrees on every address's protocol.
            let raw = try await RawAddressDump.protocols(in: ns)
            let protocols = Dictionary(uniqueKeysWithValues: try await client.snapshot().addresses.map { ("\($0.ifindex) \($0.address)", $0.proto) })
            #expect(protocols == raw)
        }

        @Test func routesOfEveryTableMatchIpWithProtoScopeSourceGatewayOnlinkAndMetric() async throws {
            let ns = try await Self.populated()
            defer { ns.destroy() }
            let client = try NetlinkClient(namespacePath: ns.path)
            let (ours, ip) = try await Self.settled(client, \.routeLines) { try await IPView(ns: ns).routes() }
            #expect(ours.symmetricDifference(ip).isEmpty, "\(difference(ours, ip))")

            let state = try await client.snapshot()
            let eth1 = TestLink(index: try await ns.ifindex("eth1"), name: "eth1")
            let expected = [
                route("10.1.0.0/24", table: 10003, on: eth1, source: "10.1.0.5", scope: .link),
                route("10.9.0.0/16", table: 10003, via: "10.1.0.1", on: eth1, source: "10.1.0.5", metric: 50, onlink: true),
                route("default", table: 20003, via: "10.1.0.1", on: eth1, onlink: true),
                route("default", table: 20003, via: "2001:db8:1::1", on: eth1, metric: 1024, onlink: true),
            ]
            for r in expected {
                let found = state.route(matching: r)
                #expect(found != nil, "missing \(r)")
                #expect(found?.metric == r.metric && found?.ifname == "eth1" && found?.type == .unicast, "\(String(describing: found))")
            }
            let blackhole = state.routes.first { $0.table == 10003 && $0.type == .blackhole }
            #expect(blackhole?.destination == prefix("203.0.113.0/24") && blackhole?.ifindex == nil && blackhole?.proto == 3 /* boot */)
            let static100 = state.routes.first { $0.table == 100 }
            #expect(static100?.proto == 4 && static100?.metric == 7 && static100?.scope == .link)
            #expect(state.routes.contains { $0.table == 300 && $0.destination == prefix("2001:db8:9::/48") && $0.metric == 5 })
            #expect(state.routes.contains { $0.table == RouteTable.main && $0.destination == prefix("198.51.100.0/24") && $0.onlink })
            #expect(state.routes.contains { $0.table == RouteTable.local && $0.type == .local }, "the local table is read too")
            #expect(!state.routes.contains { $0.table == RouteTable.main && $0.destination == prefix("10.1.0.0/24") },
                    "noprefixroute on the primary address: no connected route")
        }

        @Test func rulesOfBothFamiliesMatchIpWithPriorityFromTableProtoAndSuppressPrefixLength() async throws {
            let ns = try await Self.populated()
            defer { ns.destroy() }
            let client = try NetlinkClient(namespacePath: ns.path)
            let (ours, ip) = try await Self.settled(client, \.ruleLines) { try await IPView(ns: ns).rules() }
            #expect(ours.symmetricDifference(ip).isEmpty, "\(difference(ours, ip))")

            let rules = try await client.snapshot().rules
            let mine = [
                rule(.v4, priority: 10003, from: "10.1.0.5/32", table: 10003),
                rule(.v4, priority: 19999, from: nil, table: RouteTable.main, suppress: 0),
                rule(.v6, priority: 20003, from: "2001:db8:1::5/128", table: 20003),
                rule(.v6, priority: 19999, from: nil, table: RouteTable.main, suppress: 0),
            ]
            for r in mine {
                #expect(rules.contains(r), "missing \(r)")
            }
            let subnet = rules.first { $0.priority == 500 }
            #expect(subnet == Rule(family: .v4, priority: 500, source: prefix("10.1.0.0/24"), table: 100, proto: 0))
            #expect(rules.filter { $0.suppressPrefixLength != nil }.count == 2)
            #expect(rules.contains { $0.family == .v4 && $0.priority == 32766 && $0.table == RouteTable.main && !$0.hasOtherSelectors })
        }

        @Test func aRuleWithAnIifOrFwmarkSelectorHasOtherSelectors() async throws {
            let ns = try await Self.populated()
            defer { ns.destroy() }
            try await ns.run("rule", "add", "from", "10.1.0.5", "to", "10.8.0.0/16", "lookup", "100", "priority", "602")
            try await ns.run("-6", "rule", "add", "from", "2001:db8:1::5", "iif", "eth1", "lookup", "100", "priority", "603")
            let rules = try await NetlinkClient(namespacePath: ns.path).snapshot().rules
            let other = Set(rules.filter(\.hasOtherSelectors).map { "\($0.family) \($0.priority)" })
            #expect(other == ["v4 600", "v6 601", "v4 602", "v6 603"])
            // Same source and table as an agent rule, but not one: the key tells them apart.
            let iif = try #require(rules.first { $0.priority == 603 })
            #expect(iif.key != rule(.v6, priority: 603, from: "2001:db8:1::5/128", table: 100).key)
        }
    }
}
