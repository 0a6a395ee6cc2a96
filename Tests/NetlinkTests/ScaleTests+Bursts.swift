// SPDX-License-Identifier: Apache-2.0
import Foundation
import Model
import Netlink
import Testing
import TestSupport

/// Heavy tests where the kernel changes while it is read.
extension NetlinkSuite.ScaleTests {
    /// A dump the kernel marks inconsistent (NLM_F_DUMP_INTR: the objects changed between two of
    /// its parts) is read again; what the interrupted read delivered must not stay in the result.
    @Test func snapshotsTakenWhileAddressesChangeListEveryAddressOnce() async throws {
        let ns = try await makeNamespace("nlc")
        defer { ns.destroy() }
        let eth1 = try await ns.link("eth1", peer: "peer1")
        try await ns.link("eth2", peer: "peer2")
        let client = try NetlinkClient(namespacePath: ns.path)
        // Enough addresses that one dump takes many messages (many recv()s), so that a change
        // can fall between two of them.
        let (addresses, _) = Self.bulk(on: eth1, count: 2000)
        #expect(unexpected(await client.apply(addresses), .applied).isEmpty)

        // A change every few milliseconds (one `ip` process each): often enough to interrupt
        // some dumps, seldom enough that a retry gets through.
        let churner = try BackgroundProcess(["/bin/sh", "-c", "while :; do ip -n \(ns.name) address add 10.5.0.1/32 dev eth2 && "
                                             + "ip -n \(ns.name) address del 10.5.0.1/32 dev eth2 && sleep 0.02 || exit 1; done"])
        defer { churner.signal(SIGKILL) }

        var duplicated: [String] = []
        var snapshots = 0
        let deadline = ContinuousClock.now + .seconds(2)
        while ContinuousClock.now < deadline && duplicated.isEmpty {
            let state = try await client.snapshot()
            snapshots += 1
            var seen: Set<AddressKey> = []
            for a in state.addresses where !seen.insert(a.key).inserted { duplicated.append("\(a.key)") }
            let links = state.links.map(\.index)
            if Set(links).count != links.count { duplicated.append("links \(links)") }
        }
        print("consistency: \(snapshots) snapshots of 2,000+ addresses under churn")
        #expect(snapshots > 10)
        #expect(churner.isRunning, "the churn kept going: \(churner.stderr)")
        #expect(duplicated.count == 0, "after \(snapshots) snapshots: \(duplicated.prefix(5)) (\(duplicated.count) in all)")
    }

    /// The agent's own big apply is a burst of events: they arrive whole, or the stream says
    /// that some were lost (`.overflow`, and the daemon re-reads everything); never a silent gap.
    @Test func aBurstOfSixThousandChangesArrivesWholeOrAsOverflow() async throws {
        let ns = try await makeNamespace("nle")
        defer { ns.destroy() }
        let eth1 = try await ns.link("eth1", peer: "peer1")
        let client = try NetlinkClient(namespacePath: ns.path)
        let (addresses, rules) = Self.bulk(on: eth1)
        try await NetlinkSuite.EventTests.watching(ns) { log in
            #expect(unexpected(await client.apply(addresses + rules), .applied).isEmpty)
            func counts() -> (added: Int, overflow: Bool) {
                let events = log.events
                let added = events.filter {
                    switch $0 {
                    case .addressAdded(let a): a.proto == eniAgentProtocol
                    case .ruleAdded(let r): r.proto == eniAgentProtocol
                    default: false
                    }
                }.count
                return (added, events.contains(.overflow))
            }
            let settled = await eventually(timeout: .seconds(5)) { counts().added == 6000 || counts().overflow }
            // Whatever was still on its way has a moment to land before the count is reported.
            try await Task.sleep(for: .milliseconds(200))
            let (added, overflow) = counts()
            print("events: burst of 6000 adds: \(added) events, overflow \(overflow)")
            #expect(settled && (added == 6000 || overflow), "\(added) of 6000 events, no overflow reported")
        }
    }
}
