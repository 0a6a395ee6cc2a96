// SPDX-License-Identifier: Apache-2.0
import Foundation
import Model
@testable import Netlink
import Testing
import TestSupport

extension NetlinkSuite {
    /// The socket's bad days: answers lost to an overflow, and answers of earlier requests left
    /// unread on it.
    @Suite(.requiresRoot) struct EdgeTests {
        /// With the smallest receive buffer the kernel allows, a window of ACKs overflows it
        /// (ENOBUFS): the kernel applied those requests, only their answers were dropped. They
        /// must come back `.unknown`, never `.failed`; the socket must hold nothing stale after;
        /// and `settle` must find them applied.
        @Test func answersLostToAnOverflowAreUnknownAndSettleFindsThemApplied() async throws {
            let ns = try await makeNamespace("nlf")
            defer { ns.destroy() }
            let eth1 = try await ns.link("eth1", peer: "peer1")
            let client = try NetlinkClient(namespacePath: ns.path, receiveBuffer: 1)
            let (addresses, rules) = ScaleTests.bulk(on: eth1, count: 200)
            let ops = addresses + rules
            let results = await client.apply(ops)
            #expect(results.map(\.op) == ops)
            let unknown = results.filter { if case .unknown = $0.outcome { true } else { false } }
            let failed = results.filter { if case .failed = $0.outcome { true } else { false } }
            print("edges: 600 ops through a minimal receive buffer: \(results.count - unknown.count) answered, \(unknown.count) unknown")
            #expect(!unknown.isEmpty, "the buffer overflowed: some answers were lost")
            #expect(unknown.allSatisfy { if case .unknown(ENOBUFS, let m) = $0.outcome { m.contains("ENOBUFS") } else { false } },
                    "\(unknown.prefix(3))")
            #expect(failed.isEmpty, "nothing failed: \(failed.prefix(3))")
            #expect(!unknown.contains { $0.outcome.succeeded }, "unknown is not a success")

            // The kernel has all of it, and a snapshot on the same socket sees all of it: no
            // stale ACK ended one of its dumps early.
            let state = try await client.snapshot()
            #expect(state.addresses.filter { $0.ifindex == eth1.index && $0.proto == eniAgentProtocol }.count == 200)
            #expect(state.rules.filter { $0.proto == eniAgentProtocol }.count == 400)
            #expect(state.links.contains { $0.name == "eth1" } && state.links.contains { $0.name == "lo" })

            let settled = try await client.settle(results)
            #expect(settled.map(\.op) == ops)
            #expect(settled.allSatisfy { $0.outcome == .applied }, "\(settled.filter { $0.outcome != .applied }.prefix(3))")
        }

        /// What earlier requests left unread on the socket (the NLMSG_DONE of a dump whose
        /// reader gave up after its first message, an ACK, an error) must not end the next dump:
        /// only its own NLMSG_DONE does.
        @Test func aDumpSkipsTheUnreadAnswersOfEarlierRequests() async throws {
            let ns = try await makeNamespace("nlf")
            defer { ns.destroy() }
            let eth1 = try await ns.link("eth1", peer: "peer1")
            try await ns.link("eth2", peer: "peer2")
            let socket = try RouteSocket(namespacePath: ns.path)
            let parse = { (msg: OpaquePointer) throws(NetlinkError) -> Link? in Messages.isLinkMessage(msg) ? try Messages.link(msg) : nil }
            let whole = try socket.dump(.links, parse)
            #expect(whole.count == 5)

            // Reading the links' message is what makes the kernel queue that dump's NLMSG_DONE
            // (and end the dump): one recv() and no more.
            _ = try socket.send(try #require(RouteSocket.dumpRequest(.links))).get()
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            #expect(recv(socket.fd, &buffer, buffer.count, 0) > 0)
            _ = try socket.send(try #require(Requests.message(for: .setLinkUp(ifindex: eth1.index, ifname: "eth1")))).get()
            let ghost = address("10.1.0.5/24", on: TestLink(index: 9999, name: "ghost"))
            _ = try socket.send(try #require(Requests.message(for: .addAddress(ghost)))).get()

            let links = try socket.dump(.links, parse)
            #expect(links.map(\.index) == whole.map(\.index), "\(links.map(\.name)) after stale answers")
            let again = try socket.dump(.links, parse)
            #expect(again.map(\.index) == whole.map(\.index), "and nothing of them is left for the next read")
        }

        /// A dump left running (too large to be answered at once, and nobody read it) makes the
        /// kernel refuse the next dump on that socket (EBUSY): the rest is read away and the
        /// dump asked again.
        @Test func aDumpAfterAnUnfinishedOneReadsItAwayAndSucceeds() async throws {
            let ns = try await makeNamespace("nlf")
            defer { ns.destroy() }
            let eth1 = try await ns.link("eth1", peer: "peer1")
            let client = try NetlinkClient(namespacePath: ns.path)
            let (addresses, _) = ScaleTests.bulk(on: eth1, count: 2000)
            #expect(unexpected(await client.apply(addresses), .applied).isEmpty)

            let socket = try RouteSocket(namespacePath: ns.path)
            _ = try socket.send(try #require(RouteSocket.dumpRequest(.addresses))).get()
            let items = try socket.dump(.addresses) { msg throws(NetlinkError) in
                try Messages.address(msg) { _ in nil }
            }
            #expect(items.filter { $0.proto == eniAgentProtocol }.count == 2000)
            let rules = try socket.dump(.rules) { msg throws(NetlinkError) in try Messages.rule(msg) }
            #expect(rules.count == 5, "the kernel's own rules, three IPv4 and two IPv6: \(rules.count)")
        }
    }

    /// What `settle` makes of lost answers; no kernel involved.
    @Suite struct SettleTests {
        /// `settled(_:in:)`: what a read of the kernel says about ops whose answer was lost.
        @Test func settledTellsAppliedFromSomeoneElsesFromFailedByWhatTheKernelHolds() {
            let eth1 = TestLink(index: 2, name: "eth1")
            let ours = address("10.1.0.5/24", on: eth1)
            let theirs = address("10.1.0.6/24", on: eth1)
            let gone = address("10.1.0.7/24", on: eth1)
            let r = route("default", table: 20003, via: "10.1.0.1", on: eth1, onlink: true)
            let lost = OpOutcome.unknown(errno: ENOBUFS, message: "lost")
            var state = KernelState(links: [Link(index: 2, name: "eth1", mac: nil, isUp: true)],
                                    addresses: [ours, address("10.1.0.6/24", on: eth1, proto: 4)], routes: [r])
            func settle(_ op: Op) -> OpOutcome { NetlinkClient.settled(OpResult(op: op, outcome: lost), in: state).outcome }

            #expect(settle(.addAddress(ours)) == .applied)
            #expect(settle(.addAddress(theirs)) == .alreadyInPlace, "there, but marked by another protocol")
            #expect(settle(.addAddress(gone)).errno == ENOBUFS, "not there: failed")
            #expect(settle(.removeAddress(gone)) == .applied)
            #expect(settle(.removeAddress(ours)).errno == ENOBUFS, "still there: failed")
            #expect(settle(.addRoute(r)) == .applied && settle(.setLinkUp(ifindex: 2, ifname: "eth1")) == .applied)
            #expect(settle(.addRule(rule(.v4, priority: 20003, from: "10.1.0.5", table: 20003))).errno == ENOBUFS)
            state.addresses.removeAll()
            #expect(settle(.addAddress(ours)).errno == ENOBUFS)
            #expect(NetlinkClient.settled(OpResult(op: .addAddress(ours), outcome: .applied), in: state).outcome == .applied,
                    "a known outcome stays as it is")
        }
    }
}
