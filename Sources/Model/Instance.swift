// SPDX-License-Identifier: Apache-2.0
// What the instance metadata service says the network should be: `Metadata.read()` returns it,
// the planner consumes it. Nothing here knows about HTTP.

/// Whether every key the planner relies on was read and validated for an ENI.
public enum Completeness: Sendable, Hashable, Codable {
    case complete
    /// Additions that are certain may go ahead; removals for this ENI wait (docs/design.md §4.2).
    case incomplete(reason: String)

    public var isComplete: Bool { self == .complete }
}

/// One Elastic Network Interface as listed under `network/interfaces/macs/<mac>/`.
public struct ENI: Sendable, Hashable, Codable {
    public var mac: MACAddress
    /// `network-interface-id`, e.g. `eni-bp1xxxx`.
    public var id: String?
    /// `primary-ip-address`: DHCP's on the primary ENI, the agent's on a secondary ENI.
    public var primaryIPv4: IPv4Address?
    /// `private-ipv4s`, the primary included, in metadata order without duplicates.
    public var privateIPv4s: [IPv4Address]
    /// `vswitch-cidr-block`, else the primary address's network from `netmask`.
    public var ipv4Subnet: IPPrefix?
    /// `gateway`.
    public var gateway: IPv4Address?
    /// `ipv6s`; empty when the ENI has no IPv6 (a 404 is complete).
    public var ipv6s: [IPv6Address]
    /// `ipv6-gateway`.
    public var ipv6Gateway: IPv6Address?
    /// `vswitch-ipv6-cidr-block`; nil means "assume /64 around each address".
    public var ipv6Subnet: IPPrefix?
    /// `ipv4-prefixes`: delegated IPv4 prefixes (/28 on Alibaba), host bits cleared, in metadata
    /// order without duplicates; empty when none are assigned (a 404 is complete).
    public var ipv4Prefixes: [IPPrefix]
    /// `ipv6-prefixes`: delegated IPv6 prefixes (/80 on Alibaba), as `ipv4Prefixes`.
    public var ipv6Prefixes: [IPPrefix]
    public var completeness: Completeness

    public init(
        mac: MACAddress, id: String? = nil, primaryIPv4: IPv4Address? = nil,
        privateIPv4s: [IPv4Address] = [], ipv4Subnet: IPPrefix? = nil, gateway: IPv4Address? = nil,
        ipv6s: [IPv6Address] = [], ipv6Gateway: IPv6Address? = nil, ipv6Subnet: IPPrefix? = nil,
        ipv4Prefixes: [IPPrefix] = [], ipv6Prefixes: [IPPrefix] = [], completeness: Completeness = .complete
    ) {
        self.mac = mac
        self.id = id
        self.primaryIPv4 = primaryIPv4
        self.privateIPv4s = privateIPv4s
        self.ipv4Subnet = ipv4Subnet
        self.gateway = gateway
        self.ipv6s = ipv6s
        self.ipv6Gateway = ipv6Gateway
        self.ipv6Subnet = ipv6Subnet
        self.ipv4Prefixes = ipv4Prefixes
        self.ipv6Prefixes = ipv6Prefixes
        self.completeness = completeness
    }

    /// Both prefix lists, IPv4 first.
    public var prefixes: [IPPrefix] { ipv4Prefixes + ipv6Prefixes }

    private enum CodingKeys: String, CodingKey {
        case mac, id, primaryIPv4, privateIPv4s, ipv4Subnet, gateway, ipv6s, ipv6Gateway, ipv6Subnet
        case ipv4Prefixes, ipv6Prefixes, completeness
    }

    /// A state file written before prefixes were read has no prefix lists: none.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        mac = try c.decode(MACAddress.self, forKey: .mac)
        id = try c.decodeIfPresent(String.self, forKey: .id)
        primaryIPv4 = try c.decodeIfPresent(IPv4Address.self, forKey: .primaryIPv4)
        privateIPv4s = try c.decode([IPv4Address].self, forKey: .privateIPv4s)
        ipv4Subnet = try c.decodeIfPresent(IPPrefix.self, forKey: .ipv4Subnet)
        gateway = try c.decodeIfPresent(IPv4Address.self, forKey: .gateway)
        ipv6s = try c.decode([IPv6Address].self, forKey: .ipv6s)
        ipv6Gateway = try c.decodeIfPresent(IPv6Address.self, forKey: .ipv6Gateway)
        ipv6Subnet = try c.decodeIfPresent(IPPrefix.self, forKey: .ipv6Subnet)
        ipv4Prefixes = try c.decodeIfPresent([IPPrefix].self, forKey: .ipv4Prefixes) ?? []
        ipv6Prefixes = try c.decodeIfPresent([IPPrefix].self, forKey: .ipv6Prefixes) ?? []
        completeness = try c.decode(Completeness.self, forKey: .completeness)
    }
}

/// The whole network of the instance as one metadata read saw it.
public struct InstanceNetwork: Sendable, Hashable, Codable {
    /// The instance-level `mac` key: the primary ENI's MAC.
    public var primaryMAC: MACAddress
    public var instanceID: String?
    public var regionID: String?
    public var zoneID: String?
    /// Every MAC listed under `macs/`, in listing order.
    public var enis: [ENI]

    public init(primaryMAC: MACAddress, instanceID: String? = nil, regionID: String? = nil,
                zoneID: String? = nil, enis: [ENI]) {
        self.primaryMAC = primaryMAC
        self.instanceID = instanceID
        self.regionID = regionID
        self.zoneID = zoneID
        self.enis = enis
    }

    public func eni(mac: MACAddress) -> ENI? { enis.first { $0.mac == mac } }

    /// True when every listed ENI is complete: only then may anything be removed.
    public var isComplete: Bool { enis.allSatisfy(\.completeness.isComplete) }

    /// The same network with every ENI marked incomplete: what a cached read becomes when the
    /// fresh one failed, so that it can still drive additions but never a removal.
    public func markedIncomplete(reason: String) -> InstanceNetwork {
        var copy = self
        for i in copy.enis.indices where copy.enis[i].completeness.isComplete {
            copy.enis[i].completeness = .incomplete(reason: reason)
        }
        return copy
    }
}
