// SPDX-License-Identifier: Apache-2.0
import Foundation
import Model
import Netlink
import Testing
import TestSupport

extension NetlinkSuite {
    /// NetlinkEvents against changes someone else (`ip -n`) makes, and its end of life.
    @Suite(.requiresRoot) struct EventTests {
        /// A subscription in `ns` collected by a task; `stop()`ped and cancelled by `body`'s end.
        static func watching(_ ns: NetworkNamespace, _ body: (EventLog) async throws -> Void) async throws {
            let events = try NetlinkEvents(namespacePath: ns.path)
            let log = EventLog()
            let task = log.collect(events)
            defer {
                events.stop()
                task.cancel()
            }
            try await body(log)
        }

        @Test func aVethCreatedInTheNamespaceArrivesAsTwoAddedLinks() async throws {
            let ns = try await makeNamespace("nle")
            defer { ns.destroy() }
            try await Self.watching(ns) { log in
                try await ns.run("link", "add", "vx1", "address", "02:00:00:00:0a:01", "type", "veth", "peer", "name", "vy1")
                let both = await eventually(timeout: .seconds(3)) {
                    ["vx1", "vy1"].allSatisfy { name in log.contains { if case .linkAdded(let l) = $0 { l.name == name } else { false } } }
                }
                #expect(both, "\(log.events)")
                let vx1 = log.events.compactMap { if case .linkAdded(let l) = $0, l.name == "vx1" { l } else { nil } }.first
                #expect(vx1?.index == (try await ns.ifindex("vx1")) && vx1?.mac == MACAddress("02:00:00:00:0a:01") && vx1?.isUp == false)
                #expect(!log.contains { if case .linkChanged(let l, _) = $0 { l.name == "vx1" } else { false } },
                        "a new link is added, not changed: \(log.events)")
            }
        }

        @Test func aVethDeletedInTheNamespaceArrivesAsTwoRemovedLinks() async throws {
            let ns = try await makeNamespace("nle")
            defer { ns.destroy() }
            let vx1 = try await ns.link("vx1", peer: "vy1")
            let vy1 = try await ns.ifindex("vy1")
            try await Self.watching(ns) { log in
                try await ns.run("link", "del", "vx1")
                let both = await eventually(timeout: .seconds(3)) {
                    [(vx1.index, "vx1"), (vy1, "vy1")].allSatisfy { index, name in
                        log.contains { if case .linkRemoved(let l) = $0 { l.index == index && l.name == name && l.kind == "veth" } else { false } }
                    }
                }
                #expect(both, "\(log.events)")
            }
        }

        @Test func aLinkSetDownAndUpArrivesAsLinkChanged() async throws {
            let ns = try await makeNamespace("nle")
            defer { ns.destroy() }
            let eth1 = try await ns.link("eth1", peer: "peer1")
            try await Self.watching(ns) { log in
                func changed(up: Bool) -> Bool {
                    log.contains {
                        if case .linkChanged(let l, let changes) = $0 { l.index == eth1.index && l.isUp == up && changes.contains(.up) } else { false }
                    }
                }
                try await ns.run("link", "set", "eth1", "down")
                #expect(await eventually(timeout: .seconds(3)) { changed(up: false) }, "\(log.events)")
                try await ns.run("link", "set", "eth1", "up")
                #expect(await eventually(timeout: .seconds(3)) { changed(up: true) }, "\(log.events)")
                #expect(!log.contains { if case .linkAdded = $0 { true } else { false } }, "\(log.events)")
            }
        }

        @Test func addressesDeletedByIpArriveAsAddressRemoved() async throws {
            let ns = try await makeNamespace("nle")
            defer { ns.destroy() }
            let eth1 = try await ns.link("eth1", peer: "peer1")
            try await ns.run("address", "add", "10.1.0.5/24", "dev", "eth1", "noprefixroute")
            try await ns.run("address", "add", "2001:db8:1::5/64", "dev", "eth1", "nodad")
            try await Self.watching(ns) { log in
                try await ns.run("address", "del", "10.1.0.5/24", "dev", "eth1")
                try await ns.run("address", "del", "2001:db8:1::5/64", "dev", "eth1")
                let removed = await eventually(timeout: .seconds(3)) {
                    ["10.1.0.5/24", "2001:db8:1::5/64"].allSatisfy { text in
                        log.contains { if case .addressRemoved(let a) = $0 { a.prefix == prefix(text) && a.ifindex == eth1.index } else { false } }
                    }
                }
                #expect(removed, "\(log.events)")
                let v4 = log.events.compactMap { if case .addressRemoved(let a) = $0, a.family == .v4 { a } else { nil } }.first
                #expect(v4?.flags.contains(.noPrefixRoute) == true, "the event carries the address as it was")
                #expect(v4?.ifname == "eth1", "named from the links the stream read: \(String(describing: v4))")
            }
        }

        @Test func rulesAddedAndDeletedByIpArriveInBothFamilies() async throws {
            let ns = try await makeNamespace("nle")
            defer { ns.destroy() }
            try await ns.run("rule", "add", "from", "10.1.0.5", "lookup", "20003", "priority", "20003", "proto", "233")
            try await Self.watching(ns) { log in
                try await ns.run("rule", "del", "from", "10.1.0.5", "lookup", "20003", "priority", "20003")
                try await ns.run("-6", "rule", "add", "lookup", "main", "suppress_prefixlength", "0", "priority", "19999", "proto", "233")
                try await ns.run("-6", "rule", "del", "lookup", "main", "suppress_prefixlength", "0", "priority", "19999")
                let v4 = rule(.v4, priority: 20003, from: "10.1.0.5", table: 20003)
                let v6 = rule(.v6, priority: 19999, from: nil, table: RouteTable.main, suppress: 0)
                let all = await eventually(timeout: .seconds(3)) {
                    log.events.contains(.ruleRemoved(v4)) && log.events.contains(.ruleAdded(v6)) && log.events.contains(.ruleRemoved(v6))
                }
                #expect(all, "\(log.events)")
            }
        }

        /// A flushed per-ENI table is an event like a deleted address or rule, with what a
        /// consumer needs to keep only its own routes: table, protocol, link.
        @Test func routesAddedAndFlushedByIpArriveWithTableProtocolAndLinkInBothFamilies() async throws {
            let ns = try await makeNamespace("nle")
            defer { ns.destroy() }
            let eth1 = try await ns.link("eth1", peer: "peer1")
            try await ns.run("address", "add", "10.1.0.5/24", "dev", "eth1", "noprefixroute")
            try await Self.watching(ns) { log in
                try await ns.run("route", "add", "default", "via", "10.1.0.1", "dev", "eth1", "onlink", "table", "20003", "proto", "233")
                try await ns.run("-6", "route", "add", "2001:db8:1::/64", "dev", "eth1", "table", "20003", "proto", "233")
                try await ns.run("route", "add", "192.0.2.0/24", "dev", "eth1", "table", "main", "proto", "static")
                try await ns.run("route", "flush", "table", "20003")
                try await ns.run("-6", "route", "flush", "table", "20003")
                let v4 = route("default", table: 20003, via: "10.1.0.1", on: eth1, onlink: true)
                let v6 = route("2001:db8:1::/64", table: 20003, on: eth1)
                func seen(_ r: Route, removed: Bool) -> Bool {
                    log.contains {
                        switch $0 {
                        case .routeAdded(let e) where !removed, .routeRemoved(let e) where removed:
                            e.matches(r) && e.proto == eniAgentProtocol && e.ifname == "eth1"
                        default: false
                        }
                    }
                }
                let all = await eventually(timeout: .seconds(3)) {
                    seen(v4, removed: false) && seen(v4, removed: true) && seen(v6, removed: false) && seen(v6, removed: true)
                }
                #expect(all, "\(log.events)")
                let other = log.events.compactMap { if case .routeAdded(let r) = $0, r.table == RouteTable.main, r.family == .v4 { r } else { nil } }
                #expect(other.map(\.proto) == [4], "someone else's route: proto static, table main: \(other)")
            }
        }

        /// The Agent treats a changed MAC, name, master or kind as "look at the metadata again":
        /// each must arrive as a change of that field, with the link as it is now.
        @Test func aMacChangeARenameAndABridgePortArriveAsLinkChangedSayingWhatChanged() async throws {
            let ns = try await makeNamespace("nle")
            defer { ns.destroy() }
            let eth1 = try await ns.link("eth1", peer: "peer1")
            try await ns.batch(["link add br0 type bridge", "link set br0 up"])
            let br0 = try await ns.ifindex("br0")
            try await Self.watching(ns) { log in
                func changed(_ field: LinkChanges, _ test: (Link) -> Bool) async -> Bool {
                    await eventually(timeout: .seconds(3)) {
                        log.contains { if case .linkChanged(let l, let c) = $0 { l.index == eth1.index && c.contains(field) && test(l) } else { false } }
                    }
                }
                try await ns.run("link", "set", "eth1", "address", "02:00:00:00:0b:01")
                #expect(await changed(.mac) { $0.mac == MACAddress("02:00:00:00:0b:01") }, "\(log.events)")
                try await ns.batch(["link set eth1 down", "link set eth1 name ethx"])
                #expect(await changed(.name) { $0.name == "ethx" }, "\(log.events)")
                try await ns.run("link", "set", "ethx", "master", "br0")
                #expect(await changed(.master) { $0.master == br0 }, "\(log.events)")
                try await ns.run("link", "set", "ethx", "nomaster")
                #expect(await changed(.master) { $0.master == nil }, "\(log.events)")

                // The bridge's own notes about its ports (family AF_BRIDGE; an RTM_DELLINK when a
                // port leaves) are not link events: nothing was removed.
                #expect(!log.contains { if case .linkRemoved = $0 { true } else { false } }, "\(log.events)")
                #expect(!log.contains { if case .linkChanged(_, let c) = $0 { c.isEmpty } else { false } })
                let macChange = log.events.first { if case .linkChanged(let l, let c) = $0 { l.index == eth1.index && c.contains(.mac) } else { false } }
                if case .linkChanged(_, let c) = macChange {
                    #expect(c == [.mac], "a MAC change is only that: \(c)")
                }
            }
        }

        @Test func stopEndsTheIteration() async throws {
            let ns = try await makeNamespace("nle")
            defer { ns.destroy() }
            let events = try NetlinkEvents(namespacePath: ns.path)
            let log = EventLog()
            let task = log.collect(events)
            try await ns.run("rule", "add", "priority", "100", "lookup", "100")
            #expect(await eventually(timeout: .seconds(3)) { !log.events.isEmpty }, "the stream runs before it is stopped")
            let stopped = ContinuousClock.now
            events.stop()
            // A bound that only catches a hang; how long it took is printed.
            #expect(await eventually(timeout: .seconds(30), every: .milliseconds(5)) { log.endedAt != nil })
            if let ended = log.endedAt { print("events: iteration ended \(ended - stopped) after stop()") }
            task.cancel()
        }

        @Test func cancellingTheConsumingTaskEndsTheIteration() async throws {
            let ns = try await makeNamespace("nle")
            defer { ns.destroy() }
            let events = try NetlinkEvents(namespacePath: ns.path)
            defer { events.stop() }
            let log = EventLog()
            let task = log.collect(events)
            try await ns.run("rule", "add", "priority", "100", "lookup", "100")
            #expect(await eventually(timeout: .seconds(3)) { !log.events.isEmpty })
            let cancelled = ContinuousClock.now
            task.cancel()
            #expect(await eventually(timeout: .seconds(30), every: .milliseconds(5)) { log.endedAt != nil })
            if let ended = log.endedAt { print("events: iteration ended \(ended - cancelled) after cancellation") }
            // The subscription is gone with it: its socket closes without stop().
            #expect(await eventually(timeout: .seconds(30)) { (try? await routeSockets(in: ns)) == 0 })
        }

        /// Threads are counted process-wide and other suites run in parallel: a leak of one thread
        /// per cycle (50) is far outside the slack allowed; the namespace's socket count is exact.
        @Test func fiftyStartStopCyclesLeaveNoThreadOrSocketBehind() async throws {
            let ns = try await makeNamespace("nle")
            defer { ns.destroy() }
            let before = threadCount()
            for i in 0..<50 {
                let events = try NetlinkEvents(namespacePath: ns.path)
                let log = EventLog()
                let task = log.collect(events)
                if i % 2 == 0 { events.stop() } else { task.cancel() }
                await task.value
            }
            let socketsGone = await eventually(timeout: .seconds(3)) { (try? await routeSockets(in: ns)) == 0 }
            let left = (try? await routeSockets(in: ns)) ?? -1
            #expect(socketsGone, "\(left) event sockets still open in the namespace")
            var after = threadCount()
            _ = await eventually(timeout: .seconds(3)) {
                after = threadCount()
                return after <= before + 5
            }
            print("events: threads \(before) before 50 start/stop cycles, \(after) after")
            #expect(after <= before + 5, "threads: \(before) before, \(after) after 50 cycles")
        }
    }
}
