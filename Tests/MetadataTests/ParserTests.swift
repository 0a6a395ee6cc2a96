// SPDX-License-Identifier: Apache-2.0
// The quirks docs/metadata.md lists for each value format, one scenario per test.

import Metadata
import Model
import Testing

private func v4(_ text: String) -> IPv4Address { IPv4Address(text)! }
private func v6(_ text: String) -> IPv6Address { IPv6Address(text)! }
private func mac(_ text: String) -> MACAddress { MACAddress(text)! }

/// The parser's complaint, or nil when it accepted the value.
private func problem<T>(_ body: () throws -> T) -> String? {
    do {
        _ = try body()
        return nil
    } catch {
        return (error as? MetadataParseError)?.problem ?? "unexpected error \(error)"
    }
}

@Suite struct PlainValueParsing {
    @Test func surroundingWhitespaceAndNewlinesAreTrimmed() {
        #expect(MetadataParser.plainValue("  eni-bp1aaaa\r\n\n") == "eni-bp1aaaa")
    }

    @Test func anIdentifierIsAccepted() throws {
        #expect(try MetadataParser.identifier("i-bp67acfmxazb4ph4dbg4\n") == "i-bp67acfmxazb4ph4dbg4")
        #expect(try MetadataParser.identifier("cn-hangzhou-k") == "cn-hangzhou-k")
    }

    @Test func anHTMLPageIsNotAnIdentifier() {
        #expect(problem { try MetadataParser.identifier("<html><body>404 Not Found</body></html>") } != nil)
    }

    @Test func anEmptyValueIsNotAnIdentifier() {
        #expect(problem { try MetadataParser.identifier(" \n") } == "empty value")
    }
}

@Suite struct MACListParsing {
    @Test func trailingSlashesAndATrailingNewlineAreIgnored() throws {
        let body = "00:16:3e:00:00:01/\n00:16:3e:00:00:02/\n"
        #expect(try MetadataParser.macList(body) == [mac("00:16:3e:00:00:01"), mac("00:16:3e:00:00:02")])
    }

    @Test func emptyLinesAndCarriageReturnsAreIgnored() throws {
        let body = "\r\n00:16:3e:00:00:01/\r\n\r\n  00:16:3e:00:00:02  \n\n"
        #expect(try MetadataParser.macList(body) == [mac("00:16:3e:00:00:01"), mac("00:16:3e:00:00:02")])
    }

    @Test func upperCaseMACsAreNormalised() throws {
        let list = try MetadataParser.macList("00:16:3E:AB:CD:EF/")
        #expect(list.map(\.description) == ["00:16:3e:ab:cd:ef"])
    }

    @Test func duplicatesAreDroppedKeepingTheFirstPosition() throws {
        let body = "00:16:3e:00:00:02/\n00:16:3e:00:00:01/\n00:16:3E:00:00:02/"
        #expect(try MetadataParser.macList(body) == [mac("00:16:3e:00:00:02"), mac("00:16:3e:00:00:01")])
    }

    @Test func oneInvalidLineMakesTheWholeListInvalid() {
        let body = "00:16:3e:00:00:01/\n00:16:3e:00:00/\n"
        #expect(problem { try MetadataParser.macList(body) }?.contains("00:16:3e:00:00/") == true)
    }

    @Test func anHTMLErrorPageIsNotAMACList() {
        #expect(problem { try MetadataParser.macList("<html>\n<h1>500 Internal Server Error</h1>\n</html>") } != nil)
    }

    @Test func anEmptyListingIsRefused() {
        #expect(problem { try MetadataParser.macList("\n\n") } == "no MAC address listed")
    }
}

@Suite struct AddressListParsing {
    @Test func aQuotedJSONArrayIsParsed() throws {
        let list = try MetadataParser.ipv4List(#"["192.168.1.201","192.168.1.202"]"#).items
        #expect(list == [v4("192.168.1.201"), v4("192.168.1.202")])
    }

    @Test func anUnquotedBracketedListIsParsed() throws {
        let list = try MetadataParser.ipv6List("[2408:4005:3a4:ab00::201,2408:4005:3a4:ab00::202]").items
        #expect(list == [v6("2408:4005:3a4:ab00::201"), v6("2408:4005:3a4:ab00::202")])
    }

    @Test func whitespaceNewlinesAndABareListAreAccepted() throws {
        let list = try MetadataParser.ipv4List(" [ \"192.168.1.201\" ,\n \"192.168.1.202\" ]\n").items
        #expect(list == [v4("192.168.1.201"), v4("192.168.1.202")])
        #expect(try MetadataParser.ipv4List("192.168.1.201\n192.168.1.202\n").items == [v4("192.168.1.201"), v4("192.168.1.202")])
    }

    @Test func anEmptyListIsEmptyNotAnError() throws {
        #expect(try MetadataParser.ipv4List("[]") == ParsedList(items: []))
        #expect(try MetadataParser.ipv6List("[]\n") == ParsedList(items: []))
        #expect(try MetadataParser.ipv6List("") == ParsedList(items: []))
    }

    @Test func emptyItemsAreDropped() throws {
        #expect(try MetadataParser.ipv4List(#"["192.168.1.201",,"",]"#) == ParsedList(items: [v4("192.168.1.201")]))
    }

    @Test func duplicatesAreDroppedInOrder() throws {
        let list = try MetadataParser.ipv4List(#"["192.168.1.202","192.168.1.201","192.168.1.202"]"#)
        #expect(list == ParsedList(items: [v4("192.168.1.202"), v4("192.168.1.201")]))
        let six = try MetadataParser.ipv6List("[2408:4005::1,2408:4005:0:0::1]")
        #expect(six == ParsedList(items: [v6("2408:4005::1")]))
    }

    @Test func anIPv6ItemInAnIPv4ListIsRejectedAndTheOthersKept() throws {
        let list = try MetadataParser.ipv4List(#"["192.168.1.201","2408:4005::1"]"#)
        #expect(list.items == [v4("192.168.1.201")])
        #expect(list.rejected == [RejectedItem(item: "2408:4005::1", problem: "\"2408:4005::1\" is not an IPv4 address")])
    }

    @Test func anIPv4ItemInAnIPv6ListIsRejectedAndTheOthersKept() throws {
        let list = try MetadataParser.ipv6List("[2408:4005::1,192.168.1.201]")
        #expect(list.items == [v6("2408:4005::1")])
        #expect(list.rejected.map(\.item) == ["192.168.1.201"])
    }

    @Test func anIPv4MappedIPv6AddressIsRefused() throws {
        #expect(try MetadataParser.ipv6List("[::ffff:192.168.1.201]").rejected.first?.problem.contains("IPv4-mapped") == true)
        #expect(try MetadataParser.ipv4List(#"["::ffff:192.168.1.201"]"#).items.isEmpty)
    }

    @Test func leadingZerosAreRefusedRatherThanReadAsOctal() throws {
        #expect(try MetadataParser.ipv4List(#"["192.168.001.010"]"#).rejected.count == 1)
        #expect(problem { try MetadataParser.ipv4("010.1.1.1") } != nil)
    }

    @Test func addressesThatCanNeverBeConfiguredAreRefused() {
        for text in ["0.0.0.0", "127.0.0.1", "224.0.0.1", "255.255.255.255", "169.254.1.1", "100.100.100.200"] {
            #expect(problem { try MetadataParser.ipv4(text) } != nil, "\(text)")
            #expect(problem { try MetadataParser.ipv4(text, as: .gateway) } != nil, "\(text)")
        }
        for text in ["::", "::1", "ff02::1", "fe80::1"] {
            #expect(problem { try MetadataParser.ipv6(text) } != nil, "\(text)")
        }
    }

    @Test func aLinkLocalIPv6GatewayIsAccepted() throws {
        #expect(try MetadataParser.ipv6("fe80::1\n", as: .gateway) == v6("fe80::1"))
        #expect(problem { try MetadataParser.ipv6("ff02::2", as: .gateway) } != nil)
    }

    @Test func oneInvalidEntryNoLongerVoidsTheList() throws {
        let list = try MetadataParser.ipv4List(#"["192.168.1.201","0.0.0.0","192.168.1.202","127.0.0.1","224.0.0.5"]"#)
        #expect(list.items == [v4("192.168.1.201"), v4("192.168.1.202")])
        #expect(list.rejected.map(\.item) == ["0.0.0.0", "127.0.0.1", "224.0.0.5"])
        #expect(list.rejected.map(\.problem) == ["0.0.0.0 is the unspecified address", "127.0.0.1 is a loopback address",
                                                  "224.0.0.5 is a multicast address"])
    }

    @Test func entriesBeyondTheLimitAreDroppedAndNamed() throws {
        let body = "[" + (1...70).map { "\"10.0.0.\($0)\"" }.joined(separator: ",") + "]"
        let list = try MetadataParser.ipv4List(body)
        #expect(list.items.count == MetadataLimits.ipv4sPerENI)
        #expect(list.overLimit == (65...70).map { v4("10.0.0.\($0)") })
        let six = try MetadataParser.ipv6List("[" + (1...20).map { "2408::\($0)" }.joined(separator: ",") + "]")
        #expect(six.items.count == MetadataLimits.ipv6sPerENI)
        #expect(six.overLimit.count == 4)
        // Duplicates and invalid entries do not count against the limit.
        let mixed = try MetadataParser.ipv4List(#"["10.0.0.1","10.0.0.1","127.0.0.1","10.0.0.2"]"#, limit: 2)
        #expect(mixed.items == [v4("10.0.0.1"), v4("10.0.0.2")])
        #expect(mixed.overLimit.isEmpty)
    }

    @Test func anHTMLErrorPageIsNotAList() throws {
        let list = try MetadataParser.ipv4List("<html><body><h1>404 Not Found</h1></body></html>")
        #expect(list.items.isEmpty)
        #expect(list.rejected.count == 1)
    }

    @Test func aTenMegabyteBodyIsRefusedWithoutParsing() {
        let body = String(repeating: "1", count: 10 * 1024 * 1024)
        #expect(problem { try MetadataParser.ipv4List(body) }?.contains("larger than") == true)
        #expect(problem { try MetadataParser.macList(body) }?.contains("larger than") == true)
        #expect(problem { try MetadataParser.identifier(body) }?.contains("larger than") == true)
    }

    @Test func garbageBytesAreNotAnAddress() throws {
        let body = String(decoding: [0xff, 0xfe, 0x00, 0x80, 0x31, 0x2e], as: UTF8.self)
        #expect(problem { try MetadataParser.ipv4(body) } != nil)
        #expect(try MetadataParser.ipv4List(body).items.isEmpty)
    }
}

@Suite struct CIDRParsing {
    @Test func anIPv4CIDRBlockIsParsed() throws {
        #expect(try MetadataParser.cidr("192.168.1.0/24\n", family: .v4) == IPPrefix("192.168.1.0/24"))
    }

    @Test func hostBitsAreClearedToTheNetwork() throws {
        #expect(try MetadataParser.cidr("192.168.1.201/24", family: .v4) == IPPrefix("192.168.1.0/24"))
        #expect(try MetadataParser.cidr("2408:4005:3a4:ab00::5/64", family: .v6) == IPPrefix("2408:4005:3a4:ab00::/64"))
    }

    @Test func theWrongFamilyIsRefused() {
        #expect(problem { try MetadataParser.cidr("2408:4005:3a4:ab00::/64", family: .v4) } != nil)
        #expect(problem { try MetadataParser.cidr("192.168.1.0/24", family: .v6) } != nil)
    }

    @Test func anOutOfRangePrefixIsRefused() {
        #expect(problem { try MetadataParser.cidr("192.168.1.0/33", family: .v4) } != nil)
        #expect(problem { try MetadataParser.cidr("2408::/129", family: .v6) } != nil)
        #expect(problem { try MetadataParser.cidr("192.168.1.0/-1", family: .v4) } != nil)
        #expect(problem { try MetadataParser.cidr("192.168.1.0/0", family: .v4) } != nil)
    }

    @Test func anAddressWithoutAPrefixLengthIsNotACIDRBlock() {
        #expect(problem { try MetadataParser.cidr("192.168.1.0", family: .v4) } != nil)
    }
}

@Suite struct NetmaskParsing {
    @Test func aContiguousNetmaskGivesItsPrefixLength() throws {
        #expect(try MetadataParser.netmask("255.255.255.0\n") == 24)
        #expect(try MetadataParser.netmask("255.255.240.0") == 20)
        #expect(try MetadataParser.netmask("255.255.255.255") == 32)
    }

    @Test func aNonContiguousNetmaskIsRefused() {
        #expect(problem { try MetadataParser.netmask("255.0.255.0") }?.contains("contiguous") == true)
    }

    @Test func aNetmaskWithLeadingZerosIsRefused() {
        #expect(problem { try MetadataParser.netmask("255.255.255.000") } != nil)
    }

    @Test func anEmptyNetmaskIsRefused() {
        #expect(problem { try MetadataParser.netmask("0.0.0.0") } != nil)
    }
}

@Suite struct DiagnosticValues {
    @Test func valuesAreTruncatedTo200Characters() {
        let diagnostic = MetadataDiagnostic(mac: nil, key: "private-ipv4s", value: String(repeating: "x", count: 5000), problem: "bad")
        #expect(diagnostic.value.count == 200)
    }
}
