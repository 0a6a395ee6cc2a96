// SPDX-License-Identifier: Apache-2.0
// Completeness per docs/metadata.md's table: which missing or invalid key makes an ENI incomplete.

import Metadata
import Model
import Testing

private let mac = MACAddress("00:16:3e:00:00:02")!

/// A secondary ENI whose every key answered well.
private func goodKeys() -> [ENIKey: KeyResult] {
    [
        .networkInterfaceID: .value("eni-bp1bbbb"),
        .primaryIPAddress: .value("192.168.1.211"),
        .privateIPv4s: .value(#"["192.168.1.211","192.168.1.212"]"#),
        .netmask: .value("255.255.255.0"),
        .vswitchCIDRBlock: .value("192.168.1.0/24"),
        .gateway: .value("192.168.1.253"),
        .ipv6s: .value("[2408:4005:3a4:ab00::211]"),
        .ipv6Gateway: .value("2408:4005:3a4:ab00:ffff:ffff:ffff:fffd"),
        .vswitchIPv6CIDRBlock: .value("2408:4005:3a4:ab00::/64"),
        .ipv4Prefixes: .missing,
        .ipv6Prefixes: .missing,
    ]
}

private func assemble(_ change: (inout [ENIKey: KeyResult]) -> Void, primary: Bool = false) -> (eni: ENI, diagnostics: [MetadataDiagnostic]) {
    var keys = goodKeys()
    change(&keys)
    return ENIAssembler.assemble(mac: mac, isPrimary: primary, results: keys)
}

@Suite struct ENIAssembly {
    @Test func everyKeyReadMakesACompleteENI() {
        let (eni, diagnostics) = assemble { _ in }
        #expect(eni == ENI(
            mac: mac, id: "eni-bp1bbbb", primaryIPv4: IPv4Address("192.168.1.211"),
            privateIPv4s: [IPv4Address("192.168.1.211")!, IPv4Address("192.168.1.212")!],
            ipv4Subnet: IPPrefix("192.168.1.0/24"), gateway: IPv4Address("192.168.1.253"),
            ipv6s: [IPv6Address("2408:4005:3a4:ab00::211")!],
            ipv6Gateway: IPv6Address("2408:4005:3a4:ab00:ffff:ffff:ffff:fffd"),
            ipv6Subnet: IPPrefix("2408:4005:3a4:ab00::/64"), completeness: .complete))
        #expect(diagnostics.isEmpty)
    }

    @Test(arguments: [ENIKey.networkInterfaceID, .primaryIPAddress, .privateIPv4s])
    func aMissingRequiredKeyMakesTheENIIncomplete(key: ENIKey) {
        let (eni, _) = assemble { $0[key] = .missing }
        #expect(!eni.completeness.isComplete)
    }

    /// Found by the fuzzer (scripts/fuzz, eni-assembler): a body of junk entries gave one
    /// diagnostic, so one journal warning, per entry (about 32,000 for a 64 KiB body).
    @Test func aListOfJunkNamesEightEntriesAndCountsTheRest() {
        let junk = (1...300).map { "junk\($0)" }.joined(separator: ",")
        let (eni, diagnostics) = assemble { $0[.privateIPv4s] = .value("[\"192.168.1.211\",\(junk),\"192.168.1.212\"]") }
        #expect(eni.privateIPv4s == [IPv4Address("192.168.1.211")!, IPv4Address("192.168.1.212")!])
        #expect(!eni.completeness.isComplete)
        #expect(diagnostics.count == 9, "\(diagnostics.count)")
        #expect(diagnostics.last?.problem == "292 more invalid entries skipped, the others are used")
        guard case .incomplete(let reason) = eni.completeness else { return }
        #expect(reason.count < 1000, "\(reason.count) characters")
    }

    @Test func aMissingGatewayMakesASecondaryENIIncomplete() {
        #expect(!assemble { $0[.gateway] = .missing }.eni.completeness.isComplete)
    }

    @Test func aMissingGatewayIsFineOnThePrimaryENI() {
        #expect(assemble({ $0[.gateway] = .missing }, primary: true).eni.completeness == .complete)
    }

    @Test func netmaskAloneGivesTheSubnetOfThePrimaryAddress() {
        let (eni, _) = assemble { $0[.vswitchCIDRBlock] = .missing; $0[.netmask] = .value("255.255.240.0") }
        #expect(eni.completeness == .complete)
        #expect(eni.ipv4Subnet == IPPrefix("192.168.0.0/20"))
    }

    @Test func vswitchCIDRBlockAloneIsEnough() {
        let (eni, _) = assemble { $0[.netmask] = .missing }
        #expect(eni.completeness == .complete)
        #expect(eni.ipv4Subnet == IPPrefix("192.168.1.0/24"))
    }

    @Test func bothNetmaskAndVswitchCIDRBlockMissingMakesTheENIIncomplete() {
        let (eni, _) = assemble { $0[.netmask] = .missing; $0[.vswitchCIDRBlock] = .missing }
        #expect(!eni.completeness.isComplete)
        #expect(eni.ipv4Subnet == nil)
    }

    @Test func ipv6sMissingMeansNoIPv6AndStaysComplete() {
        let (eni, _) = assemble { $0[.ipv6s] = .missing; $0[.ipv6Gateway] = .missing; $0[.vswitchIPv6CIDRBlock] = .missing }
        #expect(eni.completeness == .complete)
        #expect(eni.ipv6s.isEmpty)
        #expect(eni.ipv6Subnet == nil)
    }

    @Test func privateIPv4sWithoutThePrimaryAddressMakesTheENIIncomplete() {
        let (eni, diagnostics) = assemble { $0[.privateIPv4s] = .value(#"["192.168.1.212"]"#) }
        #expect(!eni.completeness.isComplete)
        #expect(diagnostics.contains { $0.key == "private-ipv4s" })
    }

    @Test func anInvalidEntryIsSkippedWithItsOwnDiagnosticAndTheOthersKept() {
        let body = #"["192.168.1.211","192.168.1.999","127.0.0.1","192.168.1.212"]"#
        let (eni, diagnostics) = assemble { $0[.privateIPv4s] = .value(body) }
        #expect(!eni.completeness.isComplete, "removals on this ENI wait while its list holds an invalid entry")
        #expect(eni.privateIPv4s == [IPv4Address("192.168.1.211")!, IPv4Address("192.168.1.212")!])
        #expect(diagnostics == [
            MetadataDiagnostic(mac: mac, key: "private-ipv4s", value: "192.168.1.999",
                               problem: "\"192.168.1.999\" is not an IPv4 address: entry skipped, the others are used"),
            MetadataDiagnostic(mac: mac, key: "private-ipv4s", value: "127.0.0.1",
                               problem: "127.0.0.1 is a loopback address: entry skipped, the others are used"),
        ])
    }

    @Test func anIPv6ListOverTheCapKeepsTheFirstEntriesAndMakesTheENIIncomplete() {
        let body = "[" + (1...18).map { "2408:4005:3a4:ab00::\($0)" }.joined(separator: ",") + "]"
        let (eni, diagnostics) = assemble { $0[.ipv6s] = .value(body) }
        #expect(eni.ipv6s.count == MetadataLimits.ipv6sPerENI)
        #expect(!eni.completeness.isComplete)
        #expect(diagnostics.map(\.value) == ["2408:4005:3a4:ab00::17,2408:4005:3a4:ab00::18"])
        #expect(diagnostics.first?.problem.contains("more than 16 entries: 2 dropped") == true)
    }

    @Test func aLinkLocalIPv6GatewayIsKept() {
        let (eni, diagnostics) = assemble { $0[.ipv6Gateway] = .value("fe80::1") }
        #expect(eni.ipv6Gateway == IPv6Address("fe80::1"))
        #expect(eni.completeness == .complete)
        #expect(diagnostics.isEmpty)
    }

    @Test func anInvalidOptionalKeyStillMakesTheENIIncomplete() {
        let (eni, diagnostics) = assemble { $0[.ipv6Gateway] = .value("<html>oops</html>") }
        #expect(!eni.completeness.isComplete)
        #expect(eni.ipv6Gateway == nil)
        #expect(diagnostics.map(\.key) == ["ipv6-gateway"])
    }

    @Test func aFailedKeyMakesTheENIIncompleteButKeepsWhatWasRead() {
        let (eni, _) = assemble { $0[.gateway] = .failed(reason: "HTTP 500 (6 attempts)") }
        guard case .incomplete(let reason) = eni.completeness else {
            Issue.record("expected incomplete")
            return
        }
        #expect(reason.contains("gateway failed: HTTP 500"))
        #expect(eni.privateIPv4s.count == 2)
        #expect(eni.gateway == nil)
    }

    @Test func aKeyThatWasNotReadMakesTheENIIncomplete() {
        #expect(!assemble { $0[.ipv6s] = nil }.eni.completeness.isComplete)
    }

    @Test func anIPv4SubnetInTheIPv6CIDRKeyIsInvalid() {
        #expect(!assemble { $0[.vswitchIPv6CIDRBlock] = .value("192.168.1.0/24") }.eni.completeness.isComplete)
    }
}
