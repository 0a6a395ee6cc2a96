import Foundation
import Model
@testable import Netlink
import Testing
import TestSupport

extension NetlinkSuite {
    /// The socket's bad days: answers of earlier requests left unread on it.
    @Suite(.requiresRoot) struct EdgeTests {
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
}
