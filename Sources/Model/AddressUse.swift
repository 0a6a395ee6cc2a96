// SPDX-License-Identifier: Apache-2.0
// The one test of what eni-agent may configure: the metadata parsers, the planner and `status`
// all ask here (docs/metadata.md "Keys", docs/design.md §4.6). Metadata that claims any of
// these is wrong whatever vSwitch it names, and configuring one could cut the instance off.

/// What an address is for. A gateway may be IPv6 link-local (a router may answer from fe80::/10,
/// which is on-link by definition); a host address never may.
public enum AddressRole: Sendable, Hashable {
    case host
    case gateway
}

/// The instance metadata service's address: configured on a link, it would capture the agent's
/// own metadata requests.
public let metadataServiceAddress = IPv4Address(100, 100, 100, 200)

extension IPAddress {
    /// 169.254.0.0/16 or fe80::/10.
    public var isLinkLocal: Bool {
        switch self {
        case .v4(let a): a.value >> 16 == 0xa9fe
        case .v6(let a): a.high >> 54 == 0x3fa
        }
    }

    /// Why this address can never be configured in `role`, whatever vSwitch metadata names;
    /// nil when it can.
    public func unusableReason(as role: AddressRole) -> String? {
        switch self {
        case .v4(let a):
            let first = a.value >> 24
            if a.value == 0 { return "the unspecified address" }
            if first == 0 { return "in 0.0.0.0/8, not a host address" }
            if first == 127 { return "a loopback address" }
            if isLinkLocal { return "a link-local address" }
            if first >> 4 == 0xe { return "a multicast address" }
            if a.value == .max { return "the broadcast address" }
            if first >> 4 == 0xf { return "a reserved address (240.0.0.0/4)" }
            if a == metadataServiceAddress { return "the metadata service's own address" }
        case .v6(let a):
            if a.high == 0 && a.low == 0 { return "the unspecified address" }
            if a.high == 0 && a.low == 1 { return "the loopback address" }
            if a.high >> 56 == 0xff { return "a multicast address" }
            if a.high == 0 && a.low >> 32 == 0xffff { return "an IPv4-mapped address" }
            if isLinkLocal && role == .host { return "a link-local address" }
        }
        return nil
    }

    /// `unusableReason(as:)`, and for an address that must sit in `subnet` (every host address,
    /// and a gateway that is not link-local): inside it, and neither its network address nor
    /// its broadcast address (IPv6: the subnet-router anycast address).
    public func unusableReason(as role: AddressRole, in subnet: IPPrefix) -> String? {
        if let why = unusableReason(as: role) { return why }
        if role == .gateway && isLinkLocal { return nil }
        guard subnet.contains(self) else { return "outside vSwitch \(subnet.network)" }
        if subnet.isHost { return nil }
        if self == subnet.network.address {
            return family == .v4 ? "the vSwitch's network address" : "the vSwitch's subnet-router anycast address"
        }
        if case .v4(let a) = self, subnet.length < 31 {
            let hostMask = ~UInt32(0) >> UInt32(subnet.length)
            if a.value & hostMask == hostMask { return "the vSwitch's broadcast address" }
        }
        return nil
    }
}

extension IPPrefix {
    /// The vSwitch prefix lengths eni-agent configures: IPv4 /8 to /30, IPv6 /48 to /126.
    /// Alibaba's VPCs are at most /8 (IPv4) and /56 (IPv6) and its vSwitches at least /29, so
    /// anything else is a metadata error; and since the primary ENI's addresses put a connected
    /// route of this length in the main table, a /1 there would capture half of the Internet.
    public static func vSwitchLengths(_ family: IPFamily) -> ClosedRange<UInt8> {
        family == .v4 ? 8...30 : 48...126
    }

    /// Why this prefix cannot be an ENI's vSwitch CIDR; nil when it can.
    public var unusableSubnetReason: String? {
        let lengths = Self.vSwitchLengths(family)
        guard lengths.contains(length) else {
            return "prefix length /\(length) outside /\(lengths.lowerBound) to /\(lengths.upperBound)"
        }
        return nil
    }
}

extension IPPrefix {
    /// The lengths a delegated prefix (`ipv4-prefixes`, `ipv6-prefixes`) may have: Alibaba
    /// assigns IPv4 /28 and IPv6 /80; anything from a /24 (IPv6 /64) down to one address is
    /// taken, wider is a metadata error (a `from` rule that wide could capture a whole vSwitch).
    public static func delegatedLengths(_ family: IPFamily) -> ClosedRange<UInt8> {
        family == .v4 ? 24...32 : 64...128
    }

    /// Why this prefix (host bits cleared) cannot be a prefix delegated to an ENI whose vSwitch
    /// is `subnet` (nil: not known, as for IPv6 without `vswitch-ipv6-cidr-block`); nil when it can.
    /// It must be of a delegated length, start at an address that may be configured, and lie
    /// inside the vSwitch without holding its network or broadcast address (IPv6: the
    /// subnet-router anycast address).
    public func unusableDelegatedReason(in subnet: IPPrefix?) -> String? {
        let lengths = Self.delegatedLengths(family)
        guard lengths.contains(length) else {
            return "prefix length /\(length) outside /\(lengths.lowerBound) to /\(lengths.upperBound)"
        }
        if let why = network.address.unusableReason(as: .host) { return "starts at \(why)" }
        guard let subnet else { return nil }
        guard subnet.family == family, length > subnet.length, subnet.contains(address) else {
            return "not inside vSwitch \(subnet.network)"
        }
        if contains(subnet.network.address) {
            return family == .v4 ? "holds the vSwitch's network address" : "holds the vSwitch's subnet-router anycast address"
        }
        if case .v4(let a) = address, subnet.length < 31 {
            let broadcast = IPAddress.v4(IPv4Address(a.value | (~UInt32(0) >> UInt32(subnet.length))))
            if contains(broadcast) { return "holds the vSwitch's broadcast address" }
        }
        return nil
    }
}
