// SPDX-License-Identifier: Apache-2.0
import Model
import Netlink
import Testing
import TestSupport

extension NetlinkSuite {
    /// Every op kind through apply(), checked in a fresh snapshot and, independently, with `ip -j`.
    @Suite(.requiresRoot) struct ApplyTests {
        @Test func ipv4OpsOfEveryKindAreAppliedAndVisibleInSnapshotAndIp() async throws {
            let ns = try await makeNamespace("nla")
            defer { ns.destroy() }
            let eth1 = try await ns.link("eth1", peer: "peer1", up: false)
            try await ns.run("link", "set", "peer1", "up")
            let client = try NetlinkClient(namespacePath: ns.path)

            let a = address("10.1.0.5/24", on: eth1, flags: [.noPrefixRoute])
            let subnet = route("10.1.0.0/24", table: 10003, on: eth1, source: "10.1.0.5", scope: .link)
            let gateway = route("default", table: 20003, via: "10.1.0.1", on: eth1, onlink: true)
            let rules = [rule(.v4, priority: 10003, from: "10.1.0.5", table: 10003),
                         rule(.v4, priority: 20003, from: "10.1.0.5", table: 20003),
                         rule(.v4, priority: 19999, from: nil, table: RouteTable.main, suppress: 0)]
            let ops: [Op] = [.setLinkUp(ifindex: eth1.index, ifname: "eth1"), .addAddress(a), .addRoute(subnet), .addRoute(gateway)]
                + rules.map { .addRule($0) }
            let results = await client.apply(ops)
            #expect(results.map(\.op) == ops)
            #expect(unexpected(results, .applied).isEmpty, "\(unexpected(results, .applied))")

            let state = try await client.snapshot()
            #expect(state.link(index: eth1.index)?.isUp == true)
            let seen = state.address(a)
            #expect(seen?.prefix == a.prefix && seen?.flags.contains(.noPrefixRoute) == true && seen?.proto == eniAgentProtocol)
            #expect(state.route(matching: subnet) != nil && state.route(matching: gateway) != nil)
            #expect(rules.allSatisfy { state.rules.contains($0) }, "\(state.rules)")

            let view = IPView(ns: ns)
            #expect(try await view.linkFlags("eth1").contains("UP"))
            let info = try await view.addressInfo("eth1").first { $0["local"] as? String == "10.1.0.5" }
            #expect(info?["prefixlen"] as? Int == 24 && info?["noprefixroute"] as? Bool == true)
            #expect(try await RawAddressDump.protocols(in: ns)["\(eth1.index) 10.1.0.5"] == .some(233))
            let t10003 = try await view.routes(table: "10003")
            #expect(t10003.contains { $0["dst"] as? String == "10.1.0.0/24" && $0["protocol"] as? String == "233"
                    && $0["scope"] as? String == "253" && $0["prefsrc"] as? String == "10.1.0.5" && $0["dev"] as? String == "eth1" },
                    "\(t10003)")
            let t20003 = try await view.routes(table: "20003")
            #expect(t20003.contains { $0["dst"] as? String == "default" && $0["gateway"] as? String == "10.1.0.1"
                    && ($0["flags"] as? [String])?.contains("onlink") == true && $0["protocol"] as? String == "233" }, "\(t20003)")
            #expect(try await !view.routes(table: "main").contains { $0["dst"] as? String == "10.1.0.0/24" }, "noprefixroute left no prefix route")
            let ipRules = try await view.rules(family: "-4")
            for (priority, table) in [(10003, "10003"), (20003, "20003")] {
                #expect(ipRules.contains { $0["priority"] as? Int == priority && $0["src"] as? String == "10.1.0.5"
                        && $0["table"] as? String == table && $0["protocol"] as? String == "233" }, "\(ipRules)")
            }
            #expect(ipRules.contains { $0["priority"] as? Int == 19999 && $0["src"] as? String == "all" && $0["table"] as? String == "254"
                    && $0["suppress_prefixlen"] as? Int == 0 && $0["protocol"] as? String == "233" }, "\(ipRules)")
        }

        @Test func ipv6OpsOfEveryKindAreAppliedAndNodadLeavesTheAddressNotTentative() async throws {
            let ns = try await makeNamespace("nla")
            defer { ns.destroy() }
            let eth1 = try await ns.link("eth1", peer: "peer1")
            let client = try NetlinkClient(namespacePath: ns.path)

            let a = address("2001:db8:1::5/64", on: eth1, flags: [.noDAD, .noPrefixRoute])
            // The control: the same kind of address without nodad is tentative while DAD runs (~1 s).
            let control = address("2001:db8:1::6/64", on: eth1, flags: [.noPrefixRoute])
            let subnet = route("2001:db8:1::/64", table: 10003, on: eth1, source: "2001:db8:1::5")
            let gateway = route("default", table: 20003, via: "2001:db8:1::1", on: eth1, onlink: true)
            let rules = [rule(.v6, priority: 10003, from: "2001:db8:1::5", table: 10003),
                         rule(.v6, priority: 20003, from: "2001:db8:1::5", table: 20003),
                         rule(.v6, priority: 19999, from: nil, table: RouteTable.main, suppress: 0)]
            let ops: [Op] = [.addAddress(a), .addAddress(control), .addRoute(subnet), .addRoute(gateway)] + rules.map { .addRule($0) }
            let results = await client.apply(ops)
            let info = try await IPView(ns: ns).addressInfo("eth1")
            #expect(unexpected(results, .applied).isEmpty, "\(unexpected(results, .applied))")

            let mine = info.first { $0["local"] as? String == "2001:db8:1::5" }
            #expect(mine?["nodad"] as? Bool == true && mine?["noprefixroute"] as? Bool == true && mine?["prefixlen"] as? Int == 64)
            #expect(mine?["tentative"] == nil, "\(String(describing: mine))")
            #expect(info.first { $0["local"] as? String == "2001:db8:1::6" }?["tentative"] as? Bool == true, "the control runs DAD")

            let state = try await client.snapshot()
            #expect(state.address(a)?.flags.contains(.tentative) == false)
            #expect(state.address(a)?.proto == eniAgentProtocol && state.address(control)?.proto == eniAgentProtocol)
            #expect(try await RawAddressDump.protocols(in: ns)["\(eth1.index) 2001:db8:1::5"] == .some(233))
            #expect(state.route(matching: subnet) != nil && state.route(matching: gateway) != nil)
            #expect(rules.allSatisfy { state.rules.contains($0) })

            let view = IPView(ns: ns)
            #expect(try await !view.routes(table: "main", family: "-6").contains { $0["dst"] as? String == "2001:db8:1::/64" })
            #expect(try await view.routes(table: "10003", family: "-6").contains { $0["dst"] as? String == "2001:db8:1::/64"
                    && $0["protocol"] as? String == "233" && $0["prefsrc"] as? String == "2001:db8:1::5" })
            #expect(try await view.routes(table: "20003", family: "-6").contains { $0["dst"] as? String == "default"
                    && $0["gateway"] as? String == "2001:db8:1::1" && ($0["flags"] as? [String])?.contains("onlink") == true })
            let ipRules = try await view.rules(family: "-6")
            #expect(ipRules.contains { $0["priority"] as? Int == 20003 && $0["src"] as? String == "2001:db8:1::5" && $0["protocol"] as? String == "233" })
            #expect(ipRules.contains { $0["priority"] as? Int == 19999 && $0["suppress_prefixlen"] as? Int == 0 && $0["table"] as? String == "254" })
        }

        @Test func routeReplaceChangesTheGatewayInPlaceInBothFamilies() async throws {
            let ns = try await makeNamespace("nla")
            defer { ns.destroy() }
            let eth1 = try await ns.link("eth1", peer: "peer1")
            let client = try NetlinkClient(namespacePath: ns.path)
            let old4 = route("default", table: 20003, via: "10.1.0.1", on: eth1, onlink: true)
            let old6 = route("default", table: 20003, via: "2001:db8:1::1", on: eth1, onlink: true)
            var new4 = old4
            new4.gateway = ip("10.1.0.2")
            var new6 = old6
            new6.gateway = ip("2001:db8:1::2")
            #expect(unexpected(await client.apply([.addRoute(old4), .addRoute(old6)]), .applied).isEmpty)
            let results = await client.apply([.addRoute(new4, replace: true), .addRoute(new6, replace: true)])
            #expect(unexpected(results, .applied).isEmpty, "\(unexpected(results, .applied))")

            let defaults = try await client.snapshot().routes.filter { $0.table == 20003 }
            #expect(defaults.count == 2 && defaults.contains { $0.matches(new4) } && defaults.contains { $0.matches(new6) }, "\(defaults)")
            #expect(try await IPView(ns: ns).routes(table: "20003").map { $0["gateway"] as? String } == ["10.1.0.2"])
            #expect(try await IPView(ns: ns).routes(table: "20003", family: "-6").map { $0["gateway"] as? String } == ["2001:db8:1::2"])
        }

        @Test func removalsOfObjectsMadeByIpAreAppliedAndGoneFromSnapshotAndIp() async throws {
            let ns = try await makeNamespace("nla")
            defer { ns.destroy() }
            let eth1 = try await ns.link("eth1", peer: "peer1")
            for args in [
                ["address", "add", "10.1.0.5/24", "dev", "eth1", "noprefixroute"],
                ["address", "add", "2001:db8:1::5/64", "dev", "eth1", "nodad", "noprefixroute"],
                ["route", "add", "10.1.0.0/24", "dev", "eth1", "scope", "link", "src", "10.1.0.5", "table", "10003", "proto", "233"],
                ["route", "add", "default", "via", "10.1.0.1", "dev", "eth1", "onlink", "table", "20003", "proto", "233"],
                ["-6", "route", "add", "default", "via", "2001:db8:1::1", "dev", "eth1", "onlink", "table", "20003", "proto", "233"],
                ["rule", "add", "from", "10.1.0.5", "lookup", "20003", "priority", "20003", "proto", "233"],
                ["rule", "add", "lookup", "main", "suppress_prefixlength", "0", "priority", "19999", "proto", "233"],
                ["-6", "rule", "add", "from", "2001:db8:1::5", "lookup", "20003", "priority", "20003", "proto", "233"],
            ] {
                try await ns.run(args)
            }
            let client = try NetlinkClient(namespacePath: ns.path)
            let ops: [Op] = [
                .removeRule(rule(.v4, priority: 20003, from: "10.1.0.5", table: 20003)),
                .removeRule(rule(.v4, priority: 19999, from: nil, table: RouteTable.main, suppress: 0)),
                .removeRule(rule(.v6, priority: 20003, from: "2001:db8:1::5", table: 20003)),
                .removeRoute(route("10.1.0.0/24", table: 10003, on: eth1, source: "10.1.0.5", scope: .link)),
                .removeRoute(route("default", table: 20003, via: "10.1.0.1", on: eth1, onlink: true)),
                .removeRoute(route("default", table: 20003, via: "2001:db8:1::1", on: eth1, onlink: true)),
                .removeAddress(address("10.1.0.5/24", on: eth1, flags: [.noPrefixRoute])),
                .removeAddress(address("2001:db8:1::5/64", on: eth1, flags: [.noDAD, .noPrefixRoute])),
            ]
            let results = await client.apply(ops)
            #expect(unexpected(results, .applied).isEmpty, "\(unexpected(results, .applied))")

            let state = try await client.snapshot()
            #expect(!state.addresses.contains { $0.ifindex == eth1.index && $0.address.description.hasPrefix("fe80") == false })
            #expect(!state.routes.contains { $0.proto == eniAgentProtocol } && !state.rules.contains { $0.proto == eniAgentProtocol })
            let view = IPView(ns: ns)
            #expect(try await view.addressInfo("eth1").allSatisfy { $0["scope"] as? String == "link" })
            #expect(try await view.routes(table: "all").isEmpty == false)
            #expect(try await (view.routes(table: "all") + view.routes(table: "all", family: "-6")).allSatisfy { $0["protocol"] as? String != "233" })
            #expect(try await (view.rules(family: "-4") + view.rules(family: "-6")).allSatisfy { $0["protocol"] as? String != "233" })
        }
    }
}
