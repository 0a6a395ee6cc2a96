// SPDX-License-Identifier: Apache-2.0
import CNetlink
import Model
#if canImport(Glibc)
import Glibc
#endif

/// rtnetlink messages → `Model` values, parsed by libnl-route (`nl_msg_parse`, which picks the
/// route caches' parser for the message type) and read through its object getters. What the
/// oldest libnl the agent runs with (3.4: EL 8, Debian 11, Ubuntu 20.04) does not parse is read
/// from the message's attributes by hand, each place saying so. `nil` means "not a value the
/// agent models" (another family, a cloned route); a message libnl cannot parse throws.
enum Messages {
    static func link(_ msg: OpaquePointer) throws(NetlinkError) -> Link {
        try withObject(msg, "link") { l in
            let flags = rtnl_link_get_flags(l)
            let master = rtnl_link_get_master(l)
            // IFLA_AF_SPEC → AF_INET → IFLA_INET_CONF, the devconf array; libnl indexes it by
            // the IPV4_DEVCONF_* id (the kernel's slot is id - 1).
            var promote: UInt32 = 0
            let promoteKnown = rtnl_link_inet_get_conf(l, UInt32(IPV4_DEVCONF_PROMOTE_SECONDARIES), &promote) == 0
            return Link(index: rtnl_link_get_ifindex(l), name: String(cString: rtnl_link_get_name(l)),
                        mac: bytes(rtnl_link_get_addr(l)).flatMap { MACAddress(bytes: $0) },
                        isUp: flags & UInt32(IFF_UP.rawValue) != 0, hasCarrier: flags & UInt32(IFF_LOWER_UP.rawValue) != 0,
                        mtu: rtnl_link_get_mtu(l), kind: rtnl_link_get_type(l).map { String(cString: $0) },
                        master: master > 0 ? master : nil, promotesSecondaries: promoteKnown ? promote != 0 : nil)
        }
    }

    /// Only AF_UNSPEC link messages describe a link; the bridge also sends AF_BRIDGE ones about
    /// its ports (an RTM_DELLINK of those is a port leaving the bridge, not a link going away).
    static func isLinkMessage(_ msg: OpaquePointer) -> Bool {
        header(msg, ifinfomsg.self).ifi_family == UInt8(AF_UNSPEC)
    }

    /// For events: whether an RTM_NEWLINK announces a new link (the kernel sets every change bit).
    static func isNewLink(_ msg: OpaquePointer) -> Bool {
        header(msg, ifinfomsg.self).ifi_change == UInt32.max
    }

    static func address(_ msg: OpaquePointer, names: (Int32) -> String?) throws(NetlinkError) -> Address? {
        guard isIP(header(msg, ifaddrmsg.self).ifa_family) else { return nil }
        // IFA_PROTO (Linux 6.1) by hand: no libnl release parses or builds it. Not read at all
        // under the test switch that makes this kernel look like an older one (`AddressMarks`).
        let proto = AddressMarks.ignored ? nil
            : attribute(msg, header: MemoryLayout<ifaddrmsg>.size, Int32(IFA_PROTO)).map { nla_get_u8($0) }
        return try withObject(msg, "address") { a in
            // libnl's local address: IFA_LOCAL for IPv4 (IFA_ADDRESS is the peer on
            // point-to-point links), IFA_ADDRESS for IPv6.
            guard let local = ipAddress(rtnl_addr_get_local(a)),
                  let prefix = IPPrefix(address: local, length: UInt8(truncatingIfNeeded: rtnl_addr_get_prefixlen(a))) else { return nil }
            let index = rtnl_addr_get_ifindex(a)
            return Address(ifindex: index, ifname: names(index) ?? "if\(index)", prefix: prefix,
                           flags: AddressFlags(rawValue: rtnl_addr_get_flags(a)), proto: proto)
        }
    }

    static func route(_ msg: OpaquePointer, names: (Int32) -> String?) throws(NetlinkError) -> Route? {
        let rtm = header(msg, rtmsg.self)
        guard isIP(rtm.rtm_family), rtm.rtm_flags & UInt32(RTM_F_CLONED) == 0 else { return nil }
        let family: IPFamily = Int32(rtm.rtm_family) == AF_INET ? .v4 : .v6
        // libnl reports 0 for a route without RTA_PRIORITY; the kernel sends none for metric 0
        // (IPv4) and one for every IPv6 route, so presence is read by hand.
        let hasMetric = attribute(msg, header: MemoryLayout<rtmsg>.size, Int32(RTA_PRIORITY.rawValue)) != nil
        return try withObject(msg, "route") { r in
            let dst = rtnl_route_get_dst(r)
            let destination: IPPrefix
            if let ip = ipAddress(dst) {
                guard let prefix = IPPrefix(address: ip, length: UInt8(truncatingIfNeeded: nl_addr_get_prefixlen(dst))) else { return nil }
                destination = prefix
            } else {
                destination = .defaultRoute(family)
            }
            // The first next hop (multipath routes, which the agent never creates, have more).
            var gateway: IPAddress?
            var oif: Int32?
            var onlink = rtnl_route_get_flags(r) & UInt32(RTNH_F_ONLINK) != 0
            if rtnl_route_get_nnexthops(r) > 0, let nh = rtnl_route_nexthop_n(r, 0) {
                gateway = ipAddress(rtnl_route_nh_get_gateway(nh))
                let index = rtnl_route_nh_get_ifindex(nh)
                oif = index != 0 ? index : nil
                onlink = onlink || rtnl_route_nh_get_flags(nh) & UInt32(RTNH_F_ONLINK) != 0
            }
            return Route(table: rtnl_route_get_table(r), destination: destination,
                         type: RouteType(rawValue: rtnl_route_get_type(r)) ?? .other, gateway: gateway, ifindex: oif,
                         ifname: oif.map { names($0) ?? "if\($0)" }, preferredSource: ipAddress(rtnl_route_get_pref_src(r)),
                         scope: RouteScope(rawValue: rtnl_route_get_scope(r)) ?? .universe, proto: rtnl_route_get_protocol(r),
                         metric: hasMetric ? rtnl_route_get_priority(r) : nil, onlink: onlink)
        }
    }

    static func rule(_ msg: OpaquePointer) throws(NetlinkError) -> Rule? {
        let frh = header(msg, fib_rule_hdr.self)
        guard isIP(frh.family) else { return nil }
        // By hand: FRA_PROTOCOL (libnl 3.5 added it; 3.4 drops it), FRA_SUPPRESS_PREFIXLEN (no
        // libnl release parses it), and whether any selector the agent never uses is set (libnl
        // 3.4 parses only some of them, and reports fwmark, mask and goto without saying whether
        // they were there).
        var proto: UInt8 = 0
        var suppress: UInt32?
        var other = frh.dst_len != 0 || frh.tos != 0 || frh.flags & UInt32(FIB_RULE_INVERT) != 0
        forEachAttribute(msg, header: MemoryLayout<fib_rule_hdr>.size) { type, attr in
            switch type {
            case Int32(FRA_PROTOCOL): proto = nla_get_u8(attr)
            case Int32(FRA_SUPPRESS_PREFIXLEN): suppress = nla_get_u32(attr) == UInt32.max ? nil : nla_get_u32(attr)
            case Int32(FRA_SUPPRESS_IFGROUP): other = other || nla_get_u32(attr) != UInt32.max
            case Int32(FRA_DST), Int32(FRA_IIFNAME), Int32(FRA_OIFNAME), Int32(FRA_FWMARK), Int32(FRA_FWMASK), Int32(FRA_GOTO),
                 Int32(FRA_L3MDEV), Int32(FRA_UID_RANGE), Int32(FRA_IP_PROTO), Int32(FRA_SPORT_RANGE), Int32(FRA_DPORT_RANGE),
                 Int32(FRA_TUN_ID):
                other = true
            default: break
            }
        }
        return try withObject(msg, "rule") { r in
            var source: IPPrefix?
            if let src = rtnl_rule_get_src(r), let ip = ipAddress(src) {
                source = IPPrefix(address: ip, length: UInt8(truncatingIfNeeded: nl_addr_get_prefixlen(src)))
            }
            return Rule(family: Int32(frh.family) == AF_INET ? .v4 : .v6, priority: rtnl_rule_get_prio(r), source: source,
                        table: rtnl_rule_get_table(r), action: RuleAction(rawValue: rtnl_rule_get_action(r)) ?? .unspecified,
                        proto: proto, suppressPrefixLength: suppress, hasOtherSelectors: other)
        }
    }

    // MARK: - libnl plumbing

    /// The libnl object parsed from `msg`, lent to `body` and released after it.
    private static func withObject<T>(_ msg: OpaquePointer, _ what: String, _ body: (OpaquePointer) -> T) throws(NetlinkError) -> T {
        var object: OpaquePointer?
        let rc = eni_msg_parse(msg, &object)
        guard rc >= 0, let object else {
            let type = nlmsg_hdr(msg).pointee.nlmsg_type
            throw NetlinkError.libnl("parse a \(what) message (type \(type))", rc < 0 ? rc : -NLE_MSGTYPE_NOSUPPORT)
        }
        defer { nl_object_put(object) }
        return body(object)
    }

    /// The fixed family header that follows the netlink header.
    static func header<Header>(_ msg: OpaquePointer, _: Header.Type) -> Header {
        nlmsg_data(nlmsg_hdr(msg)).assumingMemoryBound(to: Header.self).pointee
    }

    private static func isIP(_ family: UInt8) -> Bool {
        Int32(family) == AF_INET || Int32(family) == AF_INET6
    }

    private static func attribute(_ msg: OpaquePointer, header: Int, _ type: Int32) -> UnsafeMutablePointer<nlattr>? {
        nlmsg_find_attr(nlmsg_hdr(msg), Int32(header), type)
    }

    private static func forEachAttribute(_ msg: OpaquePointer, header: Int, _ body: (Int32, UnsafeMutablePointer<nlattr>) -> Void) {
        let hdr = nlmsg_hdr(msg)
        var remaining = nlmsg_attrlen(hdr, Int32(header))
        var attr = nlmsg_attrdata(hdr, Int32(header))
        while let current = attr, nla_ok(current, remaining) != 0 {
            body(Int32(nla_type(current)), current)
            attr = nla_next(current, &remaining)
        }
    }

    /// The bytes of a libnl address; nil for none or an empty one (a default route's
    /// destination).
    static func bytes(_ addr: OpaquePointer?) -> UnsafeRawBufferPointer? {
        guard let addr, let data = nl_addr_get_binary_addr(addr) else { return nil }
        let count = Int(nl_addr_get_len(addr))
        return count > 0 ? UnsafeRawBufferPointer(start: data, count: count) : nil
    }

    static func ipAddress(_ addr: OpaquePointer?) -> IPAddress? {
        bytes(addr).flatMap { IPAddress(bytes: $0) }
    }
}
