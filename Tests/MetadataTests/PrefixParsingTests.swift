// SPDX-License-Identifier: Apache-2.0
// docs/metadata.md "Keys": `ipv4-prefixes` and `ipv6-prefixes`, whose format for several
// entries is not documented, in every list form the parser takes.

import IMDSSim
import Metadata
import Model
import Testing

private let two4 = [IPPrefix("192.168.1.32/28")!, IPPrefix("192.168.1.48/28")!]
private let two6 = [IPPrefix("2408:4005:3a4:ab00:1::/80")!, IPPrefix("2408:4005:3a4:ab00:2::/80")!]

@Suite struct PrefixListParsing {
    @Test(arguments: [
        #"["192.168.1.32/28","192.168.1.48/28"]"#,      // JSON array
        "[192.168.1.32/28,192.168.1.48/28]",             // bracketed, unquoted
        "192.168.1.32/28\n192.168.1.48/28\n",            // one per line, LF
        "192.168.1.32/28\r\n192.168.1.48/28\r\n",        // one per line, CRLF
        "192.168.1.32/28, 192.168.1.48/28",              // comma-separated
        "192.168.1.32/28 192.168.1.48/28",               // space-separated
        "[ \"192.168.1.32/28\" ,\t\"192.168.1.48/28\" ]\n",
    ])
    func everyListFormGivesTheSamePrefixes(body: String) throws {
        let list = try MetadataParser.prefixList(body, family: .v4)
        #expect(list.items == two4)
        #expect(list.rejected.isEmpty)
    }

    @Test(arguments: ["192.168.1.32/28", "192.168.1.32/28\n", "[\"192.168.1.32/28\"]"])
    func aSingleValueIsAListOfOne(body: String) throws {
        #expect(try MetadataParser.prefixList(body, family: .v4).items == [two4[0]])
    }

    @Test(arguments: ["", "[]", "\n", "[ ]"])
    func anEmptyBodyIsNoPrefix(body: String) throws {
        let list = try MetadataParser.prefixList(body, family: .v6)
        #expect(list.items.isEmpty && list.rejected.isEmpty)
    }

    @Test(arguments: [
        "[2408:4005:3a4:ab00:1::/80,2408:4005:3a4:ab00:2::/80]",
        "2408:4005:3a4:ab00:1:0:0:0/80\r\n2408:4005:03a4:ab00:0002:0000:0000:0000/80",
        #"["2408:4005:3a4:ab00:1::/80", "2408:4005:3a4:ab00:2::/80"]"#,
    ])
    func ipv6PrefixesAreCompressedSoThatSpellingsCompareEqual(body: String) throws {
        let list = try MetadataParser.prefixList(body, family: .v6)
        #expect(list.items == two6)
        #expect(list.items.map(\.description) == ["2408:4005:3a4:ab00:1::/80", "2408:4005:3a4:ab00:2::/80"])
    }

    @Test func anUncompressedAndACompressedSpellingAreOneEntry() throws {
        let list = try MetadataParser.prefixList("fd00:0:0:0:1:0:0:0/80,fd00::1:0:0:0/80", family: .v6)
        #expect(list.items == [IPPrefix("fd00::1:0:0:0/80")!])
    }

    @Test func hostBitsAreCleared() throws {
        let list = try MetadataParser.prefixList("192.168.1.37/28\n2408:4005:3a4:ab00:1::5/80", family: .v4)
        #expect(list.items == [IPPrefix("192.168.1.32/28")!])
        #expect(list.rejected.count == 1)
        #expect(try MetadataParser.prefixList("2408:4005:3a4:ab00:1::5/80", family: .v6).items == [two6[0]])
    }

    /// Each bad entry is skipped on its own with what was wrong; the others are used.
    @Test(arguments: [
        ("192.168.1.32", "is not a prefix"),                       // an address, no length
        ("2408:4005:3a4:ab00:1::/80", "is not an IPv4 prefix"),     // the other family
        ("192.168.1.0/16", "prefix length /16 outside /24 to /32"),  // wider than a delegation
        ("127.0.0.0/28", "a loopback address"),
        ("garbage/28", "is not a prefix"),
        ("192.168.1.32/33", "is not a prefix"),
    ])
    func aBadEntryIsSkippedAndNamed(entry: String, problem: String) throws {
        let list = try MetadataParser.prefixList("192.168.1.48/28,\(entry)", family: .v4)
        #expect(list.items == [two4[1]])
        #expect(list.rejected.count == 1)
        #expect(list.rejected.first?.item == entry)
        #expect(list.rejected.first?.problem.contains(problem) == true, "\(list.rejected)")
    }

    @Test func entriesBeyondTheCapAreDropped() throws {
        let body = (0..<20).map { "192.168.\($0).0/28" }.joined(separator: "\n")
        let list = try MetadataParser.prefixList(body, family: .v4)
        #expect(list.items.count == MetadataLimits.prefixesPerENI)
        #expect(list.overLimit.count == 20 - MetadataLimits.prefixesPerENI)
    }
}

@Suite struct PrefixAssembly {
    private static let mac = MACAddress("00:16:3e:00:00:02")!

    private static func assemble(_ v4: KeyResult, _ v6: KeyResult) -> (eni: ENI, diagnostics: [MetadataDiagnostic]) {
        ENIAssembler.assemble(mac: mac, isPrimary: false, results: [
            .networkInterfaceID: .value("eni-bp1bbbb"), .primaryIPAddress: .value("192.168.1.211"),
            .privateIPv4s: .value(#"["192.168.1.211"]"#), .netmask: .missing, .vswitchCIDRBlock: .value("192.168.1.0/24"),
            .gateway: .value("192.168.1.253"), .ipv6s: .missing, .ipv6Gateway: .missing,
            .vswitchIPv6CIDRBlock: .value("2408:4005:3a4:ab00::/64"), .ipv4Prefixes: v4, .ipv6Prefixes: v6,
        ])
    }

    @Test func bothKeysAreReadIntoTheENI() {
        let (eni, diagnostics) = Self.assemble(.value("192.168.1.32/28\n192.168.1.48/28"), .value("[2408:4005:3a4:ab00:1::/80]"))
        #expect(eni.ipv4Prefixes == two4)
        #expect(eni.ipv6Prefixes == [two6[0]])
        #expect(eni.completeness == .complete)
        #expect(diagnostics.isEmpty)
    }

    @Test func a404IsNoPrefixAndTheENIStaysComplete() {
        let (eni, diagnostics) = Self.assemble(.missing, .missing)
        #expect(eni.prefixes.isEmpty)
        #expect(eni.completeness == .complete)
        #expect(diagnostics.isEmpty)
    }

    /// Outside the vSwitch, or holding its network or broadcast address: skipped with a
    /// warning, and the ENI's removals wait as for a bad address.
    @Test(arguments: ["10.0.0.0/28", "192.168.1.0/28", "192.168.1.240/28", "192.168.0.0/24"])
    func aPrefixThatIsNotInsideTheVSwitchIsSkipped(prefix: String) {
        let (eni, diagnostics) = Self.assemble(.value("\(prefix),192.168.1.48/28"), .missing)
        #expect(eni.ipv4Prefixes == [two4[1]])
        #expect(!eni.completeness.isComplete)
        #expect(diagnostics.map(\.key) == ["ipv4-prefixes"])
        #expect(diagnostics.first?.value == prefix)
    }

    @Test func anIPv6PrefixOutsideTheIPv6VSwitchIsSkipped() {
        let (eni, diagnostics) = Self.assemble(.missing, .value("2408:4005:3a4:ac00:1::/80"))
        #expect(eni.ipv6Prefixes.isEmpty)
        #expect(diagnostics.first?.problem.contains("not inside vSwitch 2408:4005:3a4:ab00::/64") == true, "\(diagnostics)")
    }

    @Test func aFailedPrefixKeyMakesTheENIIncomplete() {
        let (eni, _) = Self.assemble(.failed(reason: "HTTP 500"), .missing)
        #expect(eni.completeness == .incomplete(reason: "ipv4-prefixes failed: HTTP 500"))
    }
}

/// The client against the simulator serving each list form: the same prefixes every time, and
/// none of the prefix keys read when prefixes are off.
@Suite struct PrefixReads {
    private static let mac = "00:16:3e:00:00:02"

    private static func state(_ format: PrefixListFormat) throws -> SimState {
        var state = try sampleState()
        state.prefixListFormat = format
        _ = state.changePrefixes(mac: mac, add: ["192.168.1.32/28", "192.168.1.48/28", "2408:4005:3a4:ab00:1:0:0:0/80"], remove: [])
        return state
    }

    @Test(arguments: PrefixListFormat.allCases)
    func everyFormTheSimulatorServesReadsTheSame(format: PrefixListFormat) async throws {
        try await withSimulator(try Self.state(format)) { _, client in
            let read = try await client.read()
            let eni = try #require(read.network.eni(mac: MACAddress(Self.mac)!))
            #expect(eni.ipv4Prefixes == [IPPrefix("192.168.1.32/28")!, IPPrefix("192.168.1.48/28")!])
            #expect(eni.ipv6Prefixes.map(\.description) == ["2408:4005:3a4:ab00:1::/80"])
            #expect(read.network.isComplete)
        }
    }

    @Test func withPrefixesOffNeitherKeyIsAskedFor() async throws {
        try await withSimulator(try Self.state(.lines), configure: { $0.readsPrefixes = false }) { simulator, client in
            let read = try await client.read()
            #expect(read.network.enis.allSatisfy { $0.prefixes.isEmpty })
            #expect(read.network.isComplete)
            #expect(read.requests == 1 + 1 + 4 + 9 * 3)
            #expect(simulator.counters().byPath.keys.allSatisfy { !$0.hasSuffix("-prefixes") })
        }
    }
}
