// SPDX-License-Identifier: Apache-2.0
// The kernel's networking state as values: what `Netlink.snapshot()` returns and what the
// planner diffs against. Field meanings follow rtnetlink; numbers are the kernel's own
// (IFA_F_*, RT_TABLE_*, RTPROT_*), so nothing is translated twice.

/// The protocol number every route, rule and address eni-agent creates carries
/// (`/etc/iproute2/rt_protos.d/eni-agent.conf` names it).
public let eniAgentProtocol: UInt8 = 233

public enum RouteTable {
    public static let main: UInt32 = 254
    public static let local: UInt32 = 255
    public static let `default`: UInt32 = 253
}

public struct Link: Sendable, Hashable, Codable {
    public var index: Int32
    public var name: String
    public var mac: MACAddress?
    /// Administratively up (IFF_UP).
    public var isUp: Bool
    /// Carrier present (IFF_LOWER_UP).
    public var hasCarrier: Bool
    public var mtu: UInt32
    /// IFLA_INFO_KIND (`veth`, `bridge`, `macvlan`, `bond`, `vlan`, ...); nil for a device the
    /// kernel gives no kind, as a physical or virtio NIC.
    public var kind: String?
    /// IFLA_MASTER: the index of the bridge, bond or VRF this link is enslaved to.
    public var master: Int32?
    /// `net.ipv4.conf.<link>.promote_secondaries` (IPV4_DEVCONF_PROMOTE_SECONDARIES from the
    /// link's IFLA_AF_SPEC); nil when the kernel did not say.
    public var promotesSecondaries: Bool?

    public init(index: Int32, name: String, mac: MACAddress?, isUp: Bool, hasCarrier: Bool = false, mtu: UInt32 = 1500,
                kind: String? = nil, master: Int32? = nil, promotesSecondaries: Bool? = nil) {
        self.index = index
        self.name = name
        self.mac = mac
        self.isUp = isUp
        self.hasCarrier = hasCarrier
        self.mtu = mtu
        self.kind = kind
        self.master = master
        self.promotesSecondaries = promotesSecondaries
    }
}

/// IFA_F_* flags, with the kernel's values.
public struct AddressFlags: OptionSet, Sendable, Hashable, Codable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let secondary = AddressFlags(rawValue: 0x01)
    public static let noDAD = AddressFlags(rawValue: 0x02)
    public static let optimistic = AddressFlags(rawValue: 0x04)
    public static let dadFailed = AddressFlags(rawValue: 0x08)
    public static let deprecated = AddressFlags(rawValue: 0x20)
    public static let tentative = AddressFlags(rawValue: 0x40)
    public static let permanent = AddressFlags(rawValue: 0x80)
    public static let noPrefixRoute = AddressFlags(rawValue: 0x200)

    /// The flags an address is configured with (as opposed to states the kernel reports).
    public static let configurable: AddressFlags = [.noDAD, .noPrefixRoute]
}

/// An address on a link (`ip addr`): `prefix` holds the local address and its prefix length.
public struct Address: Sendable, Hashable, Codable {
    public var ifindex: Int32
    /// The link's name, for messages and `ip` rendering; not part of the identity.
    public var ifname: String
    public var prefix: IPPrefix
    public var flags: AddressFlags
    /// IFA_PROTO as the kernel reports it; nil when the kernel or the dump does not carry it.
    public var proto: UInt8?

    public init(ifindex: Int32, ifname: String, prefix: IPPrefix, flags: AddressFlags = [], proto: UInt8? = nil) {
        self.ifindex = ifindex
        self.ifname = ifname
        self.prefix = prefix
        self.flags = flags
        self.proto = proto
    }

    public var address: IPAddress { prefix.address }
    public var family: IPFamily { prefix.family }
    public var key: AddressKey { AddressKey(ifindex: ifindex, address: prefix.address) }
}

/// What identifies an address for the diff: the link and the local address.
public struct AddressKey: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var ifindex: Int32
    public var address: IPAddress

    public init(ifindex: Int32, address: IPAddress) {
        self.ifindex = ifindex
        self.address = address
    }

    public var description: String { "\(address)@\(ifindex)" }
    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.ifindex, lhs.address) < (rhs.ifindex, rhs.address) }
}

public enum RouteScope: UInt8, Sendable, Hashable, Codable {
    case universe = 0
    case site = 200
    case link = 253
    case host = 254
    case nowhere = 255
}

public enum RouteType: UInt8, Sendable, Hashable, Codable {
    case unspecified = 0
    case unicast = 1
    case local = 2
    case broadcast = 3
    case anycast = 4
    case multicast = 5
    case blackhole = 6
    case unreachable = 7
    case prohibit = 8
    case throwRoute = 9
    case nat = 10
    case other = 255
}

public struct Route: Sendable, Hashable, Codable {
    public var table: UInt32
    public var destination: IPPrefix
    public var type: RouteType
    public var gateway: IPAddress?
    public var ifindex: Int32?
    /// For messages and `ip` rendering; not part of the identity.
    public var ifname: String?
    public var preferredSource: IPAddress?
    public var scope: RouteScope
    public var proto: UInt8
    /// RTA_PRIORITY; nil when unset (IPv4 default 0; the kernel reports 1024 for IPv6).
    public var metric: UInt32?
    public var onlink: Bool

    public init(
        table: UInt32, destination: IPPrefix, type: RouteType = .unicast, gateway: IPAddress? = nil,
        ifindex: Int32? = nil, ifname: String? = nil, preferredSource: IPAddress? = nil,
        scope: RouteScope = .universe, proto: UInt8 = eniAgentProtocol, metric: UInt32? = nil,
        onlink: Bool = false
    ) {
        self.table = table
        self.destination = destination
        self.type = type
        self.gateway = gateway
        self.ifindex = ifindex
        self.ifname = ifname
        self.preferredSource = preferredSource
        self.scope = scope
        self.proto = proto
        self.metric = metric
        self.onlink = onlink
    }

    public var family: IPFamily { destination.family }

    /// The kernel's key for a route in a table: no two routes share it (metric aside, which
    /// eni-agent never sets).
    public var key: RouteKey { RouteKey(table: table, destination: destination.network, type: type) }

    /// Same key and the same forwarding attributes: nothing to change.
    public func matches(_ other: Route) -> Bool {
        key == other.key && gateway == other.gateway && ifindex == other.ifindex
            && preferredSource == other.preferredSource && scope == other.scope && onlink == other.onlink
    }
}

public struct RouteKey: Sendable, Hashable, Codable {
    public var table: UInt32
    public var destination: IPPrefix
    public var type: RouteType
}

/// FR_ACT_* with the kernel's values.
public enum RuleAction: UInt8, Sendable, Hashable, Codable {
    case unspecified = 0
    case toTable = 1
    case goto = 2
    case nop = 3
    case blackhole = 6
    case unreachable = 7
    case prohibit = 8
}

/// A policy routing rule (`ip rule`). Selectors eni-agent never uses are summarised in
/// `hasOtherSelectors`, so that a foreign rule is never taken for one of ours.
public struct Rule: Sendable, Hashable, Codable {
    public var family: IPFamily
    public var priority: UInt32
    /// nil is `from all`.
    public var source: IPPrefix?
    public var table: UInt32
    public var action: RuleAction
    public var proto: UInt8
    /// nil when unset (the kernel's -1).
    public var suppressPrefixLength: UInt32?
    /// iif, oif, fwmark, dst, tos, ports, uid range... any of them set.
    public var hasOtherSelectors: Bool

    public init(
        family: IPFamily, priority: UInt32, source: IPPrefix? = nil, table: UInt32,
        action: RuleAction = .toTable, proto: UInt8 = eniAgentProtocol,
        suppressPrefixLength: UInt32? = nil, hasOtherSelectors: Bool = false
    ) {
        self.family = family
        self.priority = priority
        self.source = source
        self.table = table
        self.action = action
        self.proto = proto
        self.suppressPrefixLength = suppressPrefixLength
        self.hasOtherSelectors = hasOtherSelectors
    }

    /// Everything that makes two rules the same rule for the diff (protocol excluded: it
    /// decides ownership, not identity).
    public var key: RuleKey {
        RuleKey(family: family, priority: priority, source: source, table: table, action: action,
                suppressPrefixLength: suppressPrefixLength, hasOtherSelectors: hasOtherSelectors)
    }
}

public struct RuleKey: Sendable, Hashable, Codable {
    public var family: IPFamily
    public var priority: UInt32
    public var source: IPPrefix?
    public var table: UInt32
    public var action: RuleAction
    public var suppressPrefixLength: UInt32?
    public var hasOtherSelectors: Bool
}

/// One consistent read of the kernel (links, addresses, routes of every table, rules of both
/// families).
public struct KernelState: Sendable, Hashable, Codable {
    public var links: [Link]
    public var addresses: [Address]
    public var routes: [Route]
    public var rules: [Rule]

    public init(links: [Link] = [], addresses: [Address] = [], routes: [Route] = [], rules: [Rule] = []) {
        self.links = links
        self.addresses = addresses
        self.routes = routes
        self.rules = rules
    }

    public func link(index: Int32) -> Link? { links.first { $0.index == index } }
    public func link(mac: MACAddress) -> Link? { links.first { $0.mac == mac } }
}
