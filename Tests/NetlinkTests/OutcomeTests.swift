// SPDX-License-Identifier: Apache-2.0
import Foundation
import Model
import Netlink
import Testing
import TestSupport

extension NetlinkSuite {
    /// What apply() says about each op: idempotence (docs/design.md §4.5) and errors.
    @Suite(.requiresRoot) struct OutcomeTests {
        static func ops(_ eth1: TestLink) -> (adds: [Op], removals: [Op]) {
            let adds: [Op] = [
                .addAddress(address("10.1.0.5/24", on: eth1, flags: [.noPrefixRoute])),
                .addAddress(address("2001:db8:1::5/64", on: eth1, flags: [.noDAD, .noPrefixRoute])),
                .addRoute(route("10.1.0.0/24", table: 10003, on: eth1, source: "10.1.0.5", scope: .link)),
                .addRoute(route("default", table: 20003, via: "10.1.0.1", on: eth1, onlink: true)),
                .addRoute(route("2001:db8:1::/64", table: 20003, on: eth1)),
                .addRoute(route("default", table: 20003, via: "2001:db8:1::1", on: eth1)),
                .addRule(rule(.v4, priority: 10003, from: "10.1.0.5", table: 10003)),
                .addRule(rule(.v4, priority: 20003, from: "10.1.0.5", table: 20003)),
                .addRule(rule(.v4, priority: 19999, from: nil, table: RouteTable.main, suppress: 0)),
                .addRule(rule(.v6, priority: 20003, from: "2001:db8:1::5", table: 20003)),
                .addRule(rule(.v6, priority: 19999, from: nil, table: RouteTable.main, suppress: 0)),
            ]
            let removals: [Op] = adds.reversed().map { op in
                switch op {
                case .addAddress(let a): .removeAddress(a)
                case .addRoute(let r, _): .removeRoute(r)
                case .addRule(let r): .removeRule(r)
                default: op
                }
            }
            return (adds, removals)
        }

        @Test func applyingTheSameOpsTwiceFindsThemAlreadyInPlaceAndLinkUpStaysApplied() async throws {
            let ns = try await makeNamespace("nlo")
            defer { ns.destroy() }
            let eth1 = try await ns.link("eth1", peer: "peer1", up: false)
            let client = try NetlinkClient(namespacePath: ns.path)
            let (adds, removals) = Self.ops(eth1)
            let up = Op.setLinkUp(ifindex: eth1.index, ifname: "eth1")

            let first = await client.apply([up] + adds)
            #expect(unexpected(first, .applied).isEmpty, "\(unexpected(first, .applied))")
            let second = await client.apply([up] + adds)
            #expect(second[0].outcome == .applied, "setting a link up that is up is no error")
            #expect(unexpected(Array(second.dropFirst()), .alreadyInPlace).isEmpty, "\(unexpected(Array(second.dropFirst()), .alreadyInPlace))")

            let removed = await client.apply(removals)
            #expect(unexpected(removed, .applied).isEmpty, "\(unexpected(removed, .applied))")
            let again = await client.apply(removals)
            #expect(unexpected(again, .alreadyInPlace).isEmpty, "\(unexpected(again, .alreadyInPlace))")
            let state = try await client.snapshot()
            #expect(!state.routes.contains { $0.proto == eniAgentProtocol } && !state.rules.contains { $0.proto == eniAgentProtocol })
        }

        @Test func removalsOfObjectsThatNeverExistedAreAlreadyInPlace() async throws {
            let ns = try await makeNamespace("nlo")
            defer { ns.destroy() }
            let eth1 = try await ns.link("eth1", peer: "peer1")
            let client = try NetlinkClient(namespacePath: ns.path)
            let ops: [Op] = [
                .removeAddress(address("10.99.0.1/24", on: eth1)),
                .removeAddress(address("2001:db8:99::1/64", on: eth1)),
                .removeRoute(route("10.98.0.0/16", table: 10003, on: eth1)),
                .removeRoute(route("default", table: 20003, via: "10.1.0.1", on: eth1, onlink: true)),
                .removeRoute(route("2001:db8:98::/48", table: 20003, on: eth1)),
                .removeRule(rule(.v4, priority: 30000, from: "10.99.0.1", table: 30000)),
                .removeRule(rule(.v6, priority: 30000, from: nil, table: RouteTable.main, suppress: 0)),
            ]
            let results = await client.apply(ops)
            #expect(unexpected(results, .alreadyInPlace).isEmpty, "\(unexpected(results, .alreadyInPlace))")
        }

        @Test func addsToAMissingIfindexFailWithENODEVAndAMessage() async throws {
            let ns = try await makeNamespace("nlo")
            defer { ns.destroy() }
            try await ns.link("eth1", peer: "peer1")
            let client = try NetlinkClient(namespacePath: ns.path)
            let ghost = TestLink(index: 9999, name: "ghost")
            let ops: [Op] = [
                .setLinkUp(ifindex: ghost.index, ifname: ghost.name),
                .addAddress(address("10.1.0.5/24", on: ghost)),
                .addAddress(address("2001:db8:1::5/64", on: ghost, flags: [.noDAD])),
                .addRoute(route("10.1.0.0/24", table: 10003, on: ghost, scope: .link)),
                .addRoute(route("2001:db8:1::/64", table: 10003, on: ghost)),
            ]
            let results = await client.apply(ops)
            for result in results {
                #expect(result.outcome.errno == ENODEV, "\(result.op): \(result.outcome)")
                #expect((result.outcome.message ?? "").hasPrefix("No such device"), "\(result.op): \(result.outcome)")
            }
            // Where the kernel explains itself (extended ACK), its words follow strerror's.
            #expect(results[1].outcome.message == "No such device: ipv4: Device not found")
            #expect(results[2].outcome.message == "No such device: ipv6: Unable to find the interface")
        }

        @Test func aMissingNamespaceFailsToOpenWithENOENT() throws {
            let path = "/run/netns/nl-missing-\(getpid())"
            #expect { try NetlinkClient(namespacePath: path) } throws: { ($0 as? NetlinkError)?.errno == ENOENT }
            #expect { try NetlinkEvents(namespacePath: path) } throws: { ($0 as? NetlinkError)?.errno == ENOENT }
        }

        /// 200 ops of three kinds with failures of different errnos at known places: each result
        /// must carry its own op and that op's outcome, which only holds if every ACK is matched to
        /// its request while 64 are in flight.
        @Test func aFailureInTheMiddleOf200OpsStopsNothingAndEveryResultStaysWithItsOp() async throws {
            let ns = try await makeNamespace("nlo")
            defer { ns.destroy() }
            let eth1 = try await ns.link("eth1", peer: "peer1")
            let client = try NetlinkClient(namespacePath: ns.path)
            var ops: [Op] = []
            var expected: [OpOutcome?] = []  // nil: any failure with this errno set below
            var errnos: [Int: Int32] = [:]
            for i in 0..<200 {
                let host = "10.2.\(i / 200).\(i % 200 + 1)"
                switch i {
                case 37:
                    ops.append(.addAddress(address("10.3.0.1/24", on: TestLink(index: 9999, name: "ghost"))))
                    expected.append(nil)
                    errnos[i] = ENODEV
                case 100:
                    // No route to the gateway without onlink.
                    ops.append(.addRoute(route("default", table: 20099, via: "10.9.9.9", on: eth1)))
                    expected.append(nil)
                    errnos[i] = ENETUNREACH
                case 163:
                    ops.append(ops[61])  // an add that is done by then
                    expected.append(.alreadyInPlace)
                case 199:
                    ops.append(.removeRule(rule(.v4, priority: 31000, from: "10.9.9.9", table: 31000)))
                    expected.append(.alreadyInPlace)
                default:
                    switch i % 3 {
                    case 0: ops.append(.addAddress(address("\(host)/16", on: eth1, flags: [.noPrefixRoute])))
                    case 1: ops.append(.addRule(rule(.v4, priority: 10000 + UInt32(i), from: host, table: 10000 + UInt32(i))))
                    default: ops.append(.addRoute(route("10.200.\(i).0/24", table: 10000 + UInt32(i), via: "10.2.255.254", on: eth1, onlink: true)))
                    }
                    expected.append(.applied)
                }
            }
            let results = await client.apply(ops)
            #expect(results.count == 200)
            for (i, result) in results.enumerated() {
                #expect(result.op == ops[i], "result \(i) carries another op: \(result.op)")
                if let outcome = expected[i] {
                    #expect(result.outcome == outcome, "op \(i) \(ops[i]): \(result.outcome)")
                } else {
                    #expect(result.outcome.errno == errnos[i], "op \(i) \(ops[i]): \(result.outcome)")
                    #expect(result.outcome.message?.contains(i == 37 ? "Device not found" : "Nexthop has invalid gateway") == true)
                }
            }
            let state = try await client.snapshot()
            let applied = ops.enumerated().filter { expected[$0.offset] == .applied }.map(\.element)
            let missing = applied.filter { op in
                switch op {
                case .addAddress(let a): state.address(a) == nil
                case .addRule(let r): !state.rules.contains(r)
                case .addRoute(let r, _): state.route(matching: r) == nil
                default: true
                }
            }
            #expect(applied.count == 196 && missing.isEmpty, "\(missing)")
        }
    }
}
