// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
import TestSupport

extension LabFixture {
    /// Assigns and unassigns delegated prefixes of the ENI with `mac` in the simulator.
    func changePrefixes(_ mac: String, add: [String] = [], remove: [String] = []) throws {
        func list(_ items: [String]) -> String { "[" + items.map { "\"\($0)\"" }.joined(separator: ",") + "]" }
        try admin("POST", "/_sim/enis/\(mac)/prefixes", body: #"{"add": \#(list(add)), "remove": \#(list(remove))}"#)
    }

    /// The agent's `local` routes, as `ip route show table local proto 233` prints them (without
    /// the protocol it selects on).
    func localRoutes() throws -> [String] {
        (try ecs.ip("route", "show", "table", "local", "proto", "233") + ecs.ip("-6", "route", "show", "table", "local", "proto", "233"))
            .split(separator: "\n").map { String($0).trimmingCharacters(in: .whitespaces) }
    }
}

/// Delegated prefixes on the real kernel (docs/design.md §3, "Delegated prefixes"): each mode's
/// rules, routes and addresses; unassigning a prefix removes exactly its objects after the grace.
@Suite(.requiresRoot, .blockingWork) struct PrefixTests {
    static let eth1MAC = LabFixture.mac(1)
    static let eth0MAC = LabFixture.mac(0)
    static let prefix4 = "192.168.1.32/28"
    static let prefix6 = "2408:4005:3a4:ab00:1::/80"

    /// eth1 (a secondary ENI) gets an IPv4 and an IPv6 prefix, eth0 (the primary) an IPv4 one.
    func labWithPrefixes(config: String = "") async throws -> LabFixture {
        let lab = try await LabFixture.start(config: config)
        do {
            try lab.changePrefixes(Self.eth1MAC, add: [Self.prefix4, Self.prefix6])
            try lab.changePrefixes(Self.eth0MAC, add: ["192.168.1.48/28"])
            return lab
        } catch {
            lab.destroy()
            throw error
        }
    }

    func prefixRules(_ lab: LabFixture) throws -> [String] {
        try lab.rules().filter { $0.contains("/28 ") || $0.contains("/80 ") }
    }

    @Test func routeModeAddsSourceRulesOnSecondaryENIsOnlyAndNoAddress() async throws {
        let lab = try await labWithPrefixes()
        defer { lab.destroy() }
        let i = try lab.linkIndex("eth1")
        // --dry-run says why each prefix rule is wanted.
        let dry = try await lab.sync(["--dry-run"])
        #expect(dry.stdout.contains("rule add from \(Self.prefix4) lookup \(20000 + i) priority \(20000 + i) proto 233  # traffic from prefix \(Self.prefix4) leaves through eth1"), "\(dry.stdout)")
        let result = try await lab.sync()
        #expect(result.status == 0, "\(result)")
        #expect(Set(try prefixRules(lab)) == [
            "\(10000 + i):\tfrom \(Self.prefix4) lookup \(10000 + i) proto 233",
            "\(20000 + i):\tfrom \(Self.prefix4) lookup \(20000 + i) proto 233",
            "\(10000 + i):\tfrom \(Self.prefix6) lookup \(10000 + i) proto 233",
            "\(20000 + i):\tfrom \(Self.prefix6) lookup \(20000 + i) proto 233",
        ], "\((try? lab.rules()) ?? [])")
        #expect(try lab.addresses("eth1").allSatisfy { !$0.hasPrefix("192.168.1.3") && !$0.hasPrefix("2408:4005:3a4:ab00:1:") })
        #expect(try lab.localRoutes().isEmpty)
        #expect(try await lab.plannedOps() == 0)
    }

    @Test func localModeAlsoAddsALocalRouteOnEachENI() async throws {
        let lab = try await labWithPrefixes(config: "ENI_AGENT_PREFIXES=local")
        defer { lab.destroy() }
        let result = try await lab.sync()
        #expect(result.status == 0, "\(result)")
        let locals = try lab.localRoutes()
        #expect(locals.contains("local \(Self.prefix4) dev eth1 scope host"), "\(locals)")
        #expect(locals.contains { $0.hasPrefix("local \(Self.prefix6) dev eth1 ") }, "\(locals)")
        #expect(locals.contains("local 192.168.1.48/28 dev eth0 scope host"), "\(locals)")
        #expect(try prefixRules(lab).count == 4)
        #expect(try await lab.plannedOps(environment: ["ENI_AGENT_PREFIXES": "local"]) == 0)

        // `status` lists each ENI's prefixes, in text and JSON.
        let text = try await lab.cli(["status"], environment: ["ENI_AGENT_PREFIXES": "local"])
        let i = try lab.linkIndex("eth1")
        #expect(text.stdout.contains("  prefix \(Self.prefix4)"), "\(text)")
        let line = text.stdout.split(separator: "\n").first { $0.contains("prefix \(Self.prefix4)") }.map(String.init) ?? ""
        #expect(line.contains("owned") && line.contains("rules \(10000 + i), \(20000 + i)") && line.hasSuffix("local"), "\(line)")
        let json = try await lab.cli(["status", "--json"], environment: ["ENI_AGENT_PREFIXES": "local"])
        let eth1 = try jq(#".enis[] | select(.ifname == "eth1") | .prefixes | map("\(.prefix) \(.state) \(.local) \(.rules | length)") | join(",")"#, json.stdout)
        #expect(eth1 == "\(Self.prefix4) owned true 2,\(Self.prefix6) owned true 2", "\(json.stdout)")
    }

    @Test func addressesModeConfiguresEveryAddressOfAnIPv4Prefix() async throws {
        let lab = try await labWithPrefixes(config: "ENI_AGENT_PREFIXES=addresses")
        defer { lab.destroy() }
        let result = try await lab.sync()
        #expect(result.status == 0, "\(result)")
        let eth1 = Set(try lab.addresses("eth1"))
        #expect((32..<48).allSatisfy { eth1.contains("192.168.1.\($0)/24") }, "\(eth1)")
        #expect(!eth1.contains { $0.hasPrefix("2408:4005:3a4:ab00:1:") }, "an IPv6 prefix is routed only: \(eth1)")
        let eth0 = Set(try lab.addresses("eth0"))
        #expect((48..<64).allSatisfy { eth0.contains("192.168.1.\($0)/24") }, "\(eth0)")
        #expect(try prefixRules(lab).count == 4)
        #expect(try await lab.plannedOps(environment: ["ENI_AGENT_PREFIXES": "addresses"]) == 0)
    }

    @Test func prefixesOffReadsAndConfiguresNone() async throws {
        let lab = try await labWithPrefixes(config: "ENI_AGENT_PREFIXES=off")
        defer { lab.destroy() }
        let result = try await lab.sync()
        #expect(result.status == 0, "\(result)")
        #expect(try prefixRules(lab).isEmpty)
        #expect(try lab.localRoutes().isEmpty)
    }

    /// Unassigning one prefix removes its rules and `local` route once the grace (2 complete
    /// reads) has passed, and nothing else: the other prefix's objects and every address stay.
    @Test func unassigningAPrefixRemovesExactlyItsObjectsAfterTheGrace() async throws {
        let lab = try await labWithPrefixes(config: "ENI_AGENT_PREFIXES=local")
        defer { lab.destroy() }
        #expect(try await lab.sync().status == 0)
        try await lab.settle()
        let before = try await lab.kernelSnapshot()
        try lab.changePrefixes(Self.eth1MAC, remove: [Self.prefix4])
        let first = try await lab.sync()
        #expect(first.status == 0, "\(first)")
        #expect(try await lab.kernelSnapshot() == before, "a removal before the grace")
        let second = try await lab.sync(["--json"])
        #expect(second.status == 0, "\(second)")
        let removed = Set(try jq(#".ops[] | .command"#, second.stdout).split(separator: "\n").map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) })
        let i = try lab.linkIndex("eth1")
        #expect(removed == [
            "rule del from \(Self.prefix4) lookup \(10000 + i) priority \(10000 + i) proto 233",
            "rule del from \(Self.prefix4) lookup \(20000 + i) priority \(20000 + i) proto 233",
            "route del local \(Self.prefix4) dev eth1 scope host table local proto 233",
        ], "\(second.stdout)")
        let after = try await lab.kernelSnapshot()
        let lostLines = Set(before.split(separator: "\n")).subtracting(after.split(separator: "\n"))
        #expect(lostLines.allSatisfy { $0.contains(Self.prefix4) }, "\(lostLines)")
        #expect(!lostLines.isEmpty)
        #expect(try prefixRules(lab).count == 2)
    }
}
