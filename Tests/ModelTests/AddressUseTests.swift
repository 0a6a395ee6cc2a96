// SPDX-License-Identifier: Apache-2.0
import Testing
import Model

/// The one predicate for what may be configured (docs/metadata.md "Keys").
@Suite struct AddressUseTests {
    private func reason(_ text: String, _ role: AddressRole = .host) -> String? {
        IPAddress(text)!.unusableReason(as: role)
    }

    @Test(arguments: [
        ("0.0.0.0", "unspecified"), ("0.1.2.3", "0.0.0.0/8"), ("127.0.0.1", "loopback"), ("127.255.0.9", "loopback"),
        ("169.254.169.254", "link-local"), ("224.0.0.1", "multicast"), ("239.255.255.255", "multicast"),
        ("255.255.255.255", "broadcast"), ("240.0.0.1", "reserved"), ("100.100.100.200", "metadata service"),
        ("::", "unspecified"), ("::1", "loopback"), ("ff02::1", "multicast"), ("::ffff:192.168.1.201", "IPv4-mapped"),
        ("fe80::1", "link-local"), ("febf:ffff::1", "link-local"),
    ])
    func neverAHostAddress(text: String, expected: String) {
        let why = reason(text)
        #expect(why?.contains(expected) == true, "\(text): \(why ?? "accepted")")
    }

    @Test(arguments: ["192.168.1.201", "10.0.0.5", "100.100.100.201", "172.16.0.1", "2408:4005:3a4:ab00::201", "fec0::1", "::ffff:0:1:1"])
    func ordinaryUnicastAddressesAreHosts(text: String) {
        #expect(reason(text) == nil, "\(text)")
    }

    @Test func aLinkLocalIPv6GatewayIsAcceptedButNeverAnIPv4One() {
        #expect(reason("fe80::1", .gateway) == nil)
        #expect(reason("169.254.0.1", .gateway) != nil)
        #expect(reason("ff02::2", .gateway) != nil)
        let subnet = IPPrefix("2408:4005:3a4:ab00::/64")!
        #expect(IPAddress("fe80::1")!.unusableReason(as: .gateway, in: subnet) == nil, "on-link by definition")
        #expect(IPAddress("fe80::1")!.unusableReason(as: .host, in: subnet) != nil)
        #expect(IPAddress("2408:4005:3a4:ab01::1")!.unusableReason(as: .gateway, in: subnet)?.contains("outside") == true)
    }

    @Test func insideAVSwitchNeitherItsNetworkNorItsBroadcastAddress() {
        let subnet = IPPrefix("192.168.1.0/24")!
        func why(_ text: String) -> String? { IPAddress(text)!.unusableReason(as: .host, in: subnet) }
        #expect(why("192.168.1.7") == nil)
        #expect(why("192.168.1.0")?.contains("network address") == true)
        #expect(why("192.168.1.255")?.contains("broadcast") == true)
        #expect(why("192.168.2.7")?.contains("outside vSwitch 192.168.1.0/24") == true)
        #expect(why("2408::1")?.contains("outside") == true)
        let six = IPPrefix("2408:4005:3a4:ab00::/64")!
        #expect(IPAddress("2408:4005:3a4:ab00::")!.unusableReason(as: .host, in: six)?.contains("anycast") == true)
        // Whatever the vSwitch says, the metadata service's address is never a host.
        #expect(IPAddress("100.100.100.200")!.unusableReason(as: .host, in: IPPrefix("100.100.100.0/24")!) != nil)
        #expect(IPAddress("127.0.0.5")!.unusableReason(as: .host, in: IPPrefix("127.0.0.0/8")!) != nil)
    }

    @Test(arguments: [("10.0.0.0/8", true), ("192.168.1.0/24", true), ("192.168.1.0/30", true), ("0.0.0.0/1", false),
                      ("10.0.0.0/7", false), ("192.168.1.0/31", false), ("192.168.1.1/32", false),
                      ("2408:4005:3a4:ab00::/64", true), ("2408:4005::/32", false), ("2408::/1", false)])
    func vSwitchPrefixLengths(text: String, usable: Bool) {
        #expect((IPPrefix(text)!.unusableSubnetReason == nil) == usable, "\(text)")
    }
}
