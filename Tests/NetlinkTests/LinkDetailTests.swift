// SPDX-License-Identifier: Apache-2.0
import Foundation
import Model
import Netlink
import Testing
import TestSupport

extension NetlinkSuite {
    /// `Link.kind`, `.master` and `.promotesSecondaries` from the link dump, against `ip -d` and
    /// `sysctl`, on the kinds this kernel has: veth, a macvlan on a veth, a bridge with a veth in it.
    @Suite(.requiresRoot) struct LinkDetailTests {
        static func stacked() async throws -> NetworkNamespace {
            let ns = try await makeNamespace("nld")
            do {
                try await ns.batch([
                    "link add eth1 address 02:00:00:00:01:01 type veth peer name peer1",
                    "link add eth2 address 02:00:00:00:02:01 type veth peer name peer2",
                    "link add mv1 link eth1 type macvlan mode bridge",
                    "link add br0 type bridge",
                    "link set peer2 master br0",
                    "link set eth1 up", "link set peer1 up", "link set br0 up",
                ])
                // Both values on different links, whatever the namespace inherited.
                try await ns.sysctl(["net.ipv4.conf.eth1.promote_secondaries=1", "net.ipv4.conf.eth2.promote_secondaries=0",
                                     "net.ipv4.conf.mv1.promote_secondaries=0", "net.ipv4.conf.br0.promote_secondaries=1"])
            } catch {
                ns.destroy()
                throw error
            }
            return ns
        }

        @Test func kindAndMasterMatchIpDetails() async throws {
            let ns = try await Self.stacked()
            defer { ns.destroy() }
            let client = try NetlinkClient(namespacePath: ns.path)
            let (ours, ip) = try await SnapshotTests.settled(client, \.linkLines) { try await IPView(ns: ns).links() }
            #expect(ours.symmetricDifference(ip).isEmpty, "\(difference(ours, ip))")

            let links = try await client.snapshot().links
            func link(_ name: String) throws -> Link { try #require(links.first { $0.name == name }, "\(name) in \(links)") }
            let br0 = try link("br0")
            #expect(try link("eth1").kind == "veth" && link("eth1").master == nil)
            #expect(try link("mv1").kind == "macvlan" && link("mv1").mac != nil)
            #expect(br0.kind == "bridge" && br0.master == nil)
            #expect(try link("peer2").kind == "veth" && link("peer2").master == br0.index)
            #expect(try link("lo").kind == nil && link("lo").master == nil, "no kind for a device without rtnl_link_ops")
        }

        @Test func promoteSecondariesIsEachLinksSysctlBothWays() async throws {
            let ns = try await Self.stacked()
            defer { ns.destroy() }
            let links = try await NetlinkClient(namespacePath: ns.path).snapshot().links
            var expected: [String: Bool] = [:]
            for link in links {
                expected[link.name] = try await ns.sysctlValue("net.ipv4.conf.\(link.name).promote_secondaries") == "1"
            }
            let seen = Dictionary(uniqueKeysWithValues: links.map { ($0.name, $0.promotesSecondaries) })
            #expect(seen == expected.mapValues { Optional($0) }, "snapshot \(seen), sysctl \(expected)")
            #expect(seen["eth1"] == true && seen["eth2"] == false && seen["mv1"] == false && seen["br0"] == true)

            // Written again, read again: the value is the kernel's now, not a cached one.
            try await ns.sysctl(["net.ipv4.conf.eth1.promote_secondaries=0", "net.ipv4.conf.eth2.promote_secondaries=1"])
            let again = try await NetlinkClient(namespacePath: ns.path).snapshot().links
            #expect(again.first { $0.name == "eth1" }?.promotesSecondaries == false)
            #expect(again.first { $0.name == "eth2" }?.promotesSecondaries == true)
        }
    }
}

extension NetworkNamespace {
    /// `sysctl -w` each `key=value` inside the namespace.
    func sysctl(_ assignments: [String]) async throws {
        let argv = ["ip", "netns", "exec", name, "sysctl", "-q", "-w"] + assignments
        try await blocking { _ = try Spawn.check(argv) }
    }

    func sysctlValue(_ key: String) async throws -> String {
        let argv = ["ip", "netns", "exec", name, "sysctl", "-n", key]
        return try await blocking { try Spawn.check(argv) }.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
