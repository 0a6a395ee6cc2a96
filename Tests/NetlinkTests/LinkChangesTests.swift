// SPDX-License-Identifier: Apache-2.0
import Model
import Netlink
import Testing

/// `LinkChanges(from:to:)`: each field of `Link` it watches, alone, and nothing else.
@Suite struct LinkChangesTests {
    static let base = Link(index: 3, name: "eth1", mac: MACAddress("02:00:00:00:01:01"), isUp: true, hasCarrier: true,
                           mtu: 1500, kind: nil, master: nil, promotesSecondaries: false)

    @Test func eachFieldChangedAloneIsReportedAloneAndTheIndexIsNoField() {
        var cases: [(LinkChanges, (inout Link) -> Void)] = []
        cases.append((.name, { $0.name = "ethx" }))
        cases.append((.mac, { $0.mac = MACAddress("02:00:00:00:0b:01") }))
        cases.append((.master, { $0.master = 7 }))
        cases.append((.kind, { $0.kind = "macvlan" }))
        cases.append((.up, { $0.isUp = false }))
        cases.append((.carrier, { $0.hasCarrier = false }))
        cases.append((.mtu, { $0.mtu = 9000 }))
        cases.append((.promotesSecondaries, { $0.promotesSecondaries = nil }))
        for (field, change) in cases {
            var changed = Self.base
            change(&changed)
            #expect(LinkChanges(from: Self.base, to: changed) == field, "\(field)")
            #expect(LinkChanges(from: changed, to: Self.base) == field, "\(field), back")
        }
        #expect(LinkChanges(from: Self.base, to: Self.base).isEmpty)
        #expect(Set(cases.map(\.0.rawValue)).count == cases.count && LinkChanges.all == LinkChanges(cases.map(\.0)))
        #expect(LinkChanges.identity == [.name, .mac, .master, .kind])
        #expect("\(LinkChanges([.mac, .promotesSecondaries]))" == "[mac, promote_secondaries]")
    }
}
