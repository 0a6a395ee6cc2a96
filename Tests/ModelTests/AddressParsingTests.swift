// SPDX-License-Identifier: Apache-2.0
import Testing
import PropertyBased
@testable import Model

@Suite struct IPv4AddressTests {
    @Test(arguments: ["192.168.1.201", "0.0.0.0", "255.255.255.255", "10.0.0.1"])
    func validDottedQuadsRoundTrip(text: String) {
        #expect(IPv4Address(text)?.description == text)
    }

    @Test(arguments: ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.04", "1..2.3", "1.2.3.4 ",
                      " 1.2.3.4", "1.2.3.-4", "a.b.c.d", "1.2.3.4/24", "::1", "1.2.3.", ".1.2.3"])
    func anythingInetPtonWouldRefuseIsRefused(text: String) {
        #expect(IPv4Address(text) == nil)
    }

    @Test func everyIPv4AddressRoundTripsThroughItsText() async {
        await propertyCheck(count: 500, input: Gen.uint32(in: 0...UInt32.max)) { value in
            let address = IPv4Address(value)
            #expect(IPv4Address(address.description) == address)
        }
    }
}

@Suite struct IPv6AddressTests {
    @Test(arguments: [
        ("2408:4005:3a4:ab00::201", "2408:4005:3a4:ab00::201"),
        ("2408:4005:03A4:AB00:0000:0000:0000:0201", "2408:4005:3a4:ab00::201"),
        ("::", "::"), ("::1", "::1"), ("1::", "1::"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),       // RFC 5952 4.2.3: first longest run
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),    // 4.2.2: a single zero group is not compressed
        ("::ffff:192.168.1.1", "::ffff:c0a8:101"),
        ("2408:4005:3a4:ab00:ffff:ffff:ffff:fffd", "2408:4005:3a4:ab00:ffff:ffff:ffff:fffd"),
    ])
    func textFormsParseAndRenderCanonically(text: String, canonical: String) {
        #expect(IPv6Address(text)?.description == canonical)
    }

    @Test(arguments: ["", ":", ":::", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::", "g::1",
                      "fe80::1%eth0", "::1/128", "1:2:3:4:5:6:7:8::", "[::1]", "+1::", "1.2.3.4", "::1.2.3"])
    func malformedTextIsRefused(text: String) {
        #expect(IPv6Address(text) == nil)
    }

    @Test func everyIPv6AddressRoundTripsThroughItsText() async {
        await propertyCheck(count: 500, input: Gen.uint64(in: 0...UInt64.max), Gen.uint64(in: 0...UInt64.max), Gen.int(in: 0...7)) { high, low, zeros in
            // Zero out a few groups so that compression paths are exercised.
            let mask = zeros == 0 ? UInt64.max : ~(UInt64.max >> UInt64(64 - 16 * min(zeros, 4)))
            let address = IPv6Address(high: high & mask, low: zeros > 4 ? 0 : low)
            #expect(IPv6Address(address.description) == address)
            #expect(IPv6Address(bytes: address.bytes) == address)
        }
    }
}

@Suite struct PrefixAndMACTests {
    @Test func aPrefixKeepsItsHostBitsAndKnowsItsNetwork() throws {
        let p = try #require(IPPrefix("192.168.1.202/24"))
        #expect(p.description == "192.168.1.202/24")
        #expect(p.network.description == "192.168.1.0/24")
        #expect(p.contains(.v4(IPv4Address("192.168.1.7")!)))
        #expect(!p.contains(.v4(IPv4Address("192.168.2.7")!)))
        #expect(!p.contains(.v6(IPv6Address("::1")!)))
        #expect(IPPrefix("2408:4005:3a4:ab00::211/64")?.network.description == "2408:4005:3a4:ab00::/64")
        #expect(IPPrefix("10.0.0.1")?.length == 32)
        #expect(IPPrefix("0.0.0.0/0")?.isDefault == true)
    }

    @Test(arguments: ["10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/024", "10.0.0.0/2a", "/24", "10.0.0.0/24/1"])
    func outOfRangeOrMalformedPrefixesAreRefused(text: String) {
        #expect(IPPrefix(text) == nil)
    }

    @Test func masksAtEveryLengthClearExactlyTheHostBits() async {
        await propertyCheck(count: 300, input: Gen.uint64(in: 0...UInt64.max), Gen.int(in: 0...128)) { bits, length in
            let address = IPAddress.v6(IPv6Address(high: bits, low: ~bits))
            let network = address.masked(to: UInt8(length))
            #expect(IPPrefix(address: network, length: UInt8(length))!.contains(address))
            #expect(network.masked(to: UInt8(length)) == network)
        }
    }

    @Test func macsParseInAnyCaseAndPrintLowerCase() {
        #expect(MACAddress("00:16:3E:0A:0B:FF")?.description == "00:16:3e:0a:0b:ff")
        #expect(MACAddress("00:16:3e:0a:0b") == nil)
        #expect(MACAddress("00-16-3e-0a-0b-ff") == nil)
        #expect(MACAddress("0:16:3e:0a:0b:ff") == nil)
        #expect(MACAddress("00:16:3e:0a:0b:fg") == nil)
    }
}
