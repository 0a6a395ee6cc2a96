// SPDX-License-Identifier: Apache-2.0
@testable import Agent
import Foundation
import Model
import Reconcile
import Testing

/// The state file is never trusted (docs/design.md §4.8): every value is checked, each ownership
/// record and removal count stands or falls on its own, and a file that is not JSON yields
/// nothing rather than an error that would stop the agent.
@Suite struct StateSalvageTests {
    static let mac = MACAddress("00:16:3e:00:00:02")!

    static func owned(_ prefix: String, ifindex: Int32 = 3) -> OwnedAddress {
        OwnedAddress(mac: mac, ifindex: ifindex, prefix: IPPrefix(prefix)!)
    }

    /// Every kind of record the agent writes.
    static var sample: PersistedState {
        var ownership = Ownership(addresses: [owned("192.168.1.211/24"), owned("192.168.1.212/24"), owned("2408:4005:3a4:ab00::211/64")])
        ownership.pendingRemovals[.address(AddressKey(ifindex: 3, address: IPAddress("192.168.1.213")!))] = 1
        ownership.pendingRemovals[.rule(Rule(family: .v4, priority: 10003, source: IPPrefix("192.168.1.213/32"), table: 10003).key)] = 2
        ownership.pendingRemovals[.route(Route(table: 20003, destination: IPPrefix("0.0.0.0/0")!).key)] = 1
        let eni = ENI(mac: mac, id: "eni-bp1d66qjxb3qoin3ex02", primaryIPv4: IPv4Address("192.168.1.211"),
                      privateIPv4s: [IPv4Address("192.168.1.211")!, IPv4Address("192.168.1.212")!],
                      ipv4Subnet: IPPrefix("192.168.1.0/24"), gateway: IPv4Address("192.168.1.253"),
                      completeness: .incomplete(reason: "ipv6s failed: 503"))
        let network = InstanceNetwork(primaryMAC: MACAddress("00:16:3e:00:00:01")!, instanceID: "i-bp1", regionID: "cn-hangzhou",
                                      zoneID: "cn-hangzhou-k", enis: [ENI(mac: MACAddress("00:16:3e:00:00:01")!), eni])
        let report = SyncReport(id: 42, startedAt: "2026-11-24T01:52:10.512Z", durationMilliseconds: 12.5,
                                metadata: .incomplete(reasons: ["eni-bp1: ipv6s failed: 503"]), metadataRequests: 7, dryRun: false,
                                plan: [], results: [], notes: [], managed: [], kernelError: nil)
        return PersistedState(updatedAt: "2026-11-24T01:52:10.530Z", pid: 4242, ownership: ownership, network: network,
                              lastSync: SyncSummary(report))
    }

    /// The file as `StateStore.save` writes it.
    static func encoded(_ state: PersistedState) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(state), as: UTF8.self)
    }

    /// A JSON object to edit, as a test would edit the file by hand.
    static func object(_ state: PersistedState) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(try encoded(state).utf8)) as! [String: Any]
    }

    static func salvage(_ object: [String: Any]) throws -> StateFileContents {
        StateSalvage.salvage(String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
    }

    /// The salvage reads the layout the encoder writes: it must read the agent's own file whole.
    @Test func whatTheAgentWritesReadsBackWholeAndClean() throws {
        let contents = StateSalvage.salvage(try Self.encoded(Self.sample))
        #expect(contents.problems == [])
        #expect(try Self.encoded(contents.state) == Self.encoded(Self.sample))
    }

    /// `lastSync.id` at Int.max trapped on the next sync's increment.
    @Test(arguments: [Int.max, -1, (1 << 53) + 1])
    func aSyncIDOutOfRangeDropsTheLastSyncOnly(id: Int) throws {
        var object = try Self.object(Self.sample)
        var last = object["lastSync"] as! [String: Any]
        last["id"] = id
        object["lastSync"] = last
        let contents = try Self.salvage(object)
        #expect(contents.state.lastSync == nil)
        #expect(contents.state.ownership == Self.sample.ownership)
        #expect(contents.problems.count == 1 && contents.problems[0].contains("lastSync") && contents.problems[0].contains("\(id)"),
                "\(contents.problems)")
    }

    @Test(arguments: [0, -5, Int.max, 1002])
    func aRemovalCountOutOfRangeIsDroppedAlone(count: Int) throws {
        var object = try Self.object(Self.sample)
        var ownership = object["ownership"] as! [String: Any]
        var counts = ownership["removalCounts"] as! [[String: Any]]
        counts[0]["count"] = count
        ownership["removalCounts"] = counts
        object["ownership"] = ownership
        let contents = try Self.salvage(object)
        #expect(contents.state.ownership.pendingRemovals.count == Self.sample.ownership.pendingRemovals.count - 1)
        #expect(contents.state.ownership.addresses == Self.sample.ownership.addresses)
        #expect(contents.problems.count == 1 && contents.problems[0].contains("count \(count)"), "\(contents.problems)")
    }

    /// One damaged ownership record costs only itself: on a kernel without address marks (before
    /// Linux 6.1) each dropped record is an address the agent no longer knows it owns.
    @Test(arguments: [
        ["mac": "00:16:3e:00:00:02", "ifindex": 3, "prefix": "192.168.1.300/24"],   // not an address
        ["mac": "00:16:3e:00:00:02", "ifindex": 0, "prefix": "192.168.1.213/24"],   // no such link
        ["mac": "00:16:3e:00:00:02", "ifindex": 3, "prefix": "127.0.0.1/8"],        // never configured
        ["mac": "00:16:3e:00:00:02", "ifindex": 3, "prefix": "100.100.100.200/24"], // the metadata service
        ["mac": "00:16:3e:00:00:02", "ifindex": 3],                                  // no prefix
        ["mac": "00:16:3e:00:00:02", "ifindex": 3, "prefix": "192.168.1.211/24"],   // recorded twice
        ["mac": "00:16:3e:00:00:02", "ifindex": 99999999999, "prefix": "192.168.1.213/24"], // past Int32
    ] as [[String: any Sendable]])
    func aBadOwnershipRecordIsDroppedAlone(record: [String: any Sendable]) throws {
        var object = try Self.object(Self.sample)
        var ownership = object["ownership"] as! [String: Any]
        var addresses = ownership["addresses"] as! [Any]
        addresses.insert(record, at: 1)
        ownership["addresses"] = addresses
        object["ownership"] = ownership
        let contents = try Self.salvage(object)
        #expect(contents.state.ownership == Self.sample.ownership)
        #expect(contents.problems.count == 1 && contents.problems[0].hasPrefix("ownership.addresses[1]"), "\(contents.problems)")
    }

    @Test(arguments: ["", "not json", "{\"version\": 1, \"ownership\": {\"addresses\": [", "[]", "null", String(repeating: "[", count: 100_000)])
    func textThatIsNotAJSONObjectYieldsNothing(text: String) {
        let contents = StateSalvage.salvage(text)
        #expect(contents.problems.count == 1 && contents.problems[0].hasPrefix("not a JSON object"), "\(contents.problems)")
        #expect(contents.state.ownership == Ownership() && contents.state.network == nil && contents.state.lastSync == nil)
    }

    @Test func aPartThatIsNotWhatItShouldBeIsDroppedAndNamed() throws {
        var object = try Self.object(Self.sample)
        object["pid"] = 0
        object["updatedAt"] = "\u{1B}[2J"
        object["network"] = "cached"
        object["version"] = 7
        let contents = try Self.salvage(object)
        #expect(contents.state.pid == 0 && contents.state.updatedAt == "unknown" && contents.state.network == nil)
        #expect(contents.state.ownership == Self.sample.ownership && contents.state.lastSync == Self.sample.lastSync)
        let problems = contents.problems.joined(separator: "\n")
        for field in ["pid", "updatedAt", "network", "version 7"] { #expect(problems.contains(field), "\(problems)") }
    }

    /// What `status` prints and the cache the planner adds from: within what metadata may say.
    @Test func aCachedReadLargerThanMetadataMayBeOrWithEscapesIsDropped() throws {
        var big = Self.sample
        big.network!.enis[1].privateIPv4s = (1...65).map { IPv4Address(192, 168, 1, UInt8($0)) }
        #expect(StateSalvage.salvage(try Self.encoded(big)).state.network == nil)
        var escaped = Self.sample
        escaped.lastSync!.summary = "ok\u{1B}]0;owned\u{07}"
        let contents = StateSalvage.salvage(try Self.encoded(escaped))
        #expect(contents.state.lastSync == nil && contents.problems.count == 1, "\(contents.problems)")
    }

    /// Found by the fuzzer (state-file): a problem quoted the file's text, control characters
    /// and all, into the warning.
    @Test func aProblemShowsTheFilesTextWithControlCharactersEscaped() throws {
        var state = Self.sample
        state.network!.enis[1].id = "eni-\u{7F}\u{1B}[2J"
        let problems = StateSalvage.salvage(try Self.encoded(state)).problems
        #expect(problems.count == 1 && problems[0].contains("eni-\\u{7F}\\u{1B}[2J"), "\(problems)")
        #expect(!problems.joined().unicodeScalars.contains { $0.properties.generalCategory == .control })
    }
}
