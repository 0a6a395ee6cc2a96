// SPDX-License-Identifier: Apache-2.0
import Testing
import Model
@testable import Reconcile

@Suite struct RoutingSchemeTests {
    @Test func theStandardSchemeMapsLinkIndexesToTablesAndBack() {
        let scheme = RoutingScheme.standard
        #expect(scheme.subnetTable(slot: 3) == 10003)
        #expect(scheme.defaultTable(slot: 3) == 20003)
        #expect(scheme.slot(ofTable: 20003) == 3)
        #expect(scheme.slot(ofTable: 10003) == 3)
        #expect(scheme.slot(ofTable: 254) == nil)
        #expect(scheme.slot(ofTable: 19999) == nil)
        #expect(scheme.maxSlot == 9998)
        #expect(scheme.slot(forLinkIndex: 9998) == 9998)
        #expect(scheme.slot(forLinkIndex: 9999) == nil)
    }

    @Test(arguments: [(100, 199, 200), (10000, 9999, 20000), (10000, 20001, 20000), (10000, 19999, 32766)])
    func anInconsistentSchemeIsRefusedWithAReason(subnet: UInt32, suppress: UInt32, defaults: UInt32) {
        #expect(throws: RoutingScheme.Invalid.self) {
            try RoutingScheme(subnetBase: subnet, suppressPriority: suppress, defaultBase: defaults)
        }
    }
}

@Suite struct InterfaceMatcherTests {
    @Test(arguments: [
        ("eth1", "eth1", true), ("eth*", "eth12", true), ("eth?", "eth12", false), ("eth[0-3]", "eth2", true),
        ("eth[!0-3]", "eth2", false), ("*", "docker0", true), ("veth*", "eth0", false), ("e*h*", "eth0", true),
        ("eth[", "eth[", true), ("", "eth0", false),
    ])
    func namesMatchLikeShellGlobs(pattern: String, name: String, expected: Bool) {
        #expect(InterfaceMatcher([pattern]).matches(name: name, mac: nil) == expected)
    }

    @Test func aMACPatternMatchesTheLinkMACInAnyCase() {
        let matcher = InterfaceMatcher(["00:16:3E:0A:0B:0C"])
        #expect(matcher.matches(name: "eth5", mac: MACAddress("00:16:3e:0a:0b:0c")))
        #expect(!matcher.matches(name: "eth5", mac: MACAddress("00:16:3e:0a:0b:0d")))
    }
}
