// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
import TestSupport

/// Real packets from inside a delegated prefix of a secondary ENI (docs/design.md §3, "Delegated
/// prefixes"): they leave through that ENI only, and the answers come back. The vSwitch knows
/// which ENI each prefix is on, as a VPC does (a permanent neighbour entry per address used).
extension PacketTests {
    /// The quiet lab with 192.168.1.32/28 and 2408:4005:3a4:ab00:1::/80 on eth1, synced in `mode`.
    func quietLabWithPrefixes(mode: String, vpcKnows addresses: [String]) async throws -> LabFixture {
        let lab = try await quietLab()
        do {
            try lab.changePrefixes(PrefixTests.eth1MAC, add: [PrefixTests.prefix4, PrefixTests.prefix6])
            let result = try await lab.sync(environment: ["ENI_AGENT_PREFIXES": mode])
            #expect(result.status == 0, "\(result)")
            for address in addresses {
                try lab.vpc.ip("neigh", "replace", address, "lladdr", LabFixture.mac(1), "dev", "br0", "nud", "permanent")
            }
            try await lab.settle()
            return lab
        } catch {
            lab.destroy()
            throw error
        }
    }

    /// What each ENI link received while `body` ran.
    func received(_ lab: LabFixture, _ body: () throws -> CommandResult) async throws -> [Int] {
        try await awaitQuiet(lab)
        let before = try counters(lab)
        let result = try body()
        #expect(result.status == 0, "\(result)")
        return zip(try counters(lab), before).map { $0 - $1 }
    }

    /// `route`: the prefix's address lives in a namespace of its own behind a veth, as a CNI
    /// puts a pod: the host forwards its packets, and the rule from the prefix sends them out
    /// through eth1; the answer comes back through eth1 to the pod.
    @Test func routeModeAPodInsideAPrefixReachesTheInternetThroughItsENI() async throws {
        let pod4 = "192.168.1.37"
        let pod6 = "2408:4005:3a4:ab00:1::37"
        let lab = try await quietLabWithPrefixes(mode: "route", vpcKnows: [pod4, pod6])
        defer { lab.destroy() }
        let pod = try NetworkNamespace.create(prefix: "eap")
        defer { pod.destroy() }
        try lab.ecs.addVeth(name: "cni0", peer: "eth0", peerNamespace: pod)
        try lab.ecs.exec(["sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1",
                          "net.ipv4.conf.cni0.proxy_arp=1"])
        try lab.ecs.ip("link", "set", "cni0", "up")
        try lab.ecs.ip("route", "add", "\(pod4)/32", "dev", "cni0")
        try lab.ecs.ip("-6", "route", "add", "\(pod6)/128", "dev", "cni0")
        try lab.ecs.ip("-6", "addr", "add", "fe80::1/64", "dev", "cni0", "nodad")
        try pod.ip("link", "set", "eth0", "up")
        try pod.ip("addr", "add", "\(pod4)/32", "dev", "eth0")
        try pod.ip("route", "add", "default", "dev", "eth0")
        try pod.ip("-6", "addr", "add", "\(pod6)/128", "dev", "eth0", "nodad")
        try pod.ip("-6", "route", "add", "default", "via", "fe80::1", "dev", "eth0")

        let v4 = try await received(lab) { try pod.exec(["ping", "-4", "-n", "-c1", "-W2", "8.8.8.8"]) }
        #expect(v4[1] >= 1 && v4[0] == 0 && v4[2] == 0, "from \(pod4): \(v4)")
        let v6 = try await received(lab) { try pod.exec(["ping", "-6", "-n", "-c1", "-W2", "2001:4860:4860::8888"]) }
        #expect(v6[1] >= 1 && v6[0] == 0 && v6[2] == 0, "from \(pod6): \(v6)")
    }

    /// `local`: the host answers a ping to any address of the prefix from the VPC side, and
    /// the answer leaves through the prefix's ENI.
    @Test func localModeTheHostAnswersForEveryAddressOfThePrefix() async throws {
        let targets = ["192.168.1.33", "192.168.1.46", "2408:4005:3a4:ab00:1::1", "2408:4005:3a4:ab00:1:0:ab:cd"]
        let lab = try await quietLabWithPrefixes(mode: "local", vpcKnows: targets)
        defer { lab.destroy() }
        for target in targets {
            let family = target.contains(":") ? "-6" : "-4"
            let answers = try await received(lab) { try lab.vpc.exec(["ping", family, "-n", "-c1", "-W2", target]) }
            #expect(answers[1] >= 1 && answers[0] == 0 && answers[2] == 0, "answer from \(target): \(answers)")
        }
    }

    /// `addresses`: an address of the prefix is on eth1 and sends through it.
    @Test func addressesModeAnAddressOfThePrefixSendsThroughItsENI() async throws {
        let lab = try await quietLabWithPrefixes(mode: "addresses", vpcKnows: ["192.168.1.40"])
        defer { lab.destroy() }
        let sent = try await ping(lab, from: "192.168.1.40", to: "8.8.8.8")
        #expect(sent[1] >= 1 && sent[0] == 0 && sent[2] == 0, "from 192.168.1.40: \(sent)")
    }
}
