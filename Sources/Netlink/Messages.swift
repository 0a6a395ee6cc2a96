import CNetlink
import Model
#if canImport(Glibc)
import Glibc
#endif

/// rtnetlink messages → `Model` values. Attributes are read with libnl (`nlmsg_parse`, `nla_*`)
/// straight from each message, so nothing the kernel reports is lost on the way: IFA_PROTO and
/// FRA_SUPPRESS_PREFIXLEN, which libnl 3.7's objects drop, included.
enum Messages {
    static func link(_ hdr: UnsafeMutablePointer<nlmsghdr>) -> Link? {
        let ifi = nlmsg_data(hdr).assumingMemoryBound(to: ifinfomsg.self).pointee
        let tb = Attributes(hdr, header: MemoryLayout<ifinfomsg>.size, max: Int(__IFLA_MAX) - 1)
        guard let nameAttr = tb[Int(IFLA_IFNAME)] else { return nil }
        let name = String(cString: nla_get_string(nameAttr))
        let mac = tb.bytes(Int(IFLA_ADDRESS)).flatMap { MACAddress(bytes: $0) }
        let mtu = tb[Int(IFLA_MTU)].map { nla_get_u32($0) } ?? 0
        return Link(index: ifi.ifi_index, name: name, mac: mac,
                    isUp: ifi.ifi_flags & UInt32(IFF_UP.rawValue) != 0,
                    hasCarrier: ifi.ifi_flags & UInt32(IFF_LOWER_UP.rawValue) != 0, mtu: mtu)
    }

    /// For events: whether an RTM_NEWLINK announces a new link (the kernel sets every change bit).
    static func isNewLink(_ hdr: UnsafeMutablePointer<nlmsghdr>) -> Bool {
        nlmsg_data(hdr).assumingMemoryBound(to: ifinfomsg.self).pointee.ifi_change == UInt32.max
    }

    static func address(_ hdr: UnsafeMutablePointer<nlmsghdr>, names: [Int32: String]) -> Address? {
        let ifa = nlmsg_data(hdr).assumingMemoryBound(to: ifaddrmsg.self).pointee
        let tb = Attributes(hdr, header: MemoryLayout<ifaddrmsg>.size, max: Int(__IFA_MAX) - 1)
        // IPv4 keeps the local address in IFA_LOCAL (IFA_ADDRESS is the peer on point-to-point
        // links); IPv6 in IFA_ADDRESS.
        let raw = (Int32(ifa.ifa_family) == AF_INET ? tb.bytes(Int(IFA_LOCAL)) : nil) ?? tb.bytes(Int(IFA_ADDRESS))
        guard let raw, let ip = IPAddress(bytes: raw), let prefix = IPPrefix(address: ip, length: ifa.ifa_prefixlen) else { return nil }
        let flags = tb[Int(IFA_FLAGS)].map { nla_get_u32($0) } ?? UInt32(ifa.ifa_flags)
        let proto = tb[Int(IFA_PROTO)].map { nla_get_u8($0) }
        let index = Int32(bitPattern: ifa.ifa_index)
        return Address(ifindex: index, ifname: names[index] ?? "if\(index)", prefix: prefix,
                       flags: AddressFlags(rawValue: flags), proto: proto)
    }

    static func route(_ hdr: UnsafeMutablePointer<nlmsghdr>, names: [Int32: String]) -> Route? {
        let rtm = nlmsg_data(hdr).assumingMemoryBound(to: rtmsg.self).pointee
        guard Int32(rtm.rtm_family) == AF_INET || Int32(rtm.rtm_family) == AF_INET6 else { return nil }
        guard rtm.rtm_flags & UInt32(RTM_F_CLONED) == 0 else { return nil }
        let family: IPFamily = Int32(rtm.rtm_family) == AF_INET ? .v4 : .v6
        let tb = Attributes(hdr, header: MemoryLayout<rtmsg>.size, max: Int(__RTA_MAX.rawValue) - 1)
        let table = tb[Int(RTA_TABLE.rawValue)].map { nla_get_u32($0) } ?? UInt32(rtm.rtm_table)
        let destination: IPPrefix
        if let raw = tb.bytes(Int(RTA_DST.rawValue)), let ip = IPAddress(bytes: raw) {
            guard let prefix = IPPrefix(address: ip, length: rtm.rtm_dst_len) else { return nil }
            destination = prefix
        } else {
            destination = .defaultRoute(family)
        }
        var gateway = tb.bytes(Int(RTA_GATEWAY.rawValue)).flatMap { IPAddress(bytes: $0) }
        var oif = tb[Int(RTA_OIF.rawValue)].map { Int32(bitPattern: nla_get_u32($0)) }
        var onlink = rtm.rtm_flags & UInt32(RTNH_F_ONLINK) != 0
        if let multipath = tb[Int(RTA_MULTIPATH.rawValue)], nla_len(multipath) >= Int32(MemoryLayout<rtnexthop>.size) {
            // Multipath: report the first next hop (the agent never creates these).
            let nh = nla_data(multipath).assumingMemoryBound(to: rtnexthop.self)
            oif = nh.pointee.rtnh_ifindex
            onlink = onlink || nh.pointee.rtnh_flags & UInt8(RTNH_F_ONLINK) != 0
            let nested = UnsafeMutableRawPointer(nh).advanced(by: (MemoryLayout<rtnexthop>.size + 3) & ~3)
            let nestedLength = Int32(nh.pointee.rtnh_len) - Int32((MemoryLayout<rtnexthop>.size + 3) & ~3)
            if nestedLength > 0, let attr = nla_find(nested.assumingMemoryBound(to: nlattr.self), nestedLength, Int32(RTA_GATEWAY.rawValue)) {
                gateway = IPAddress(bytes: UnsafeRawBufferPointer(start: nla_data(attr), count: Int(nla_len(attr))))
            }
        }
        let source = tb.bytes(Int(RTA_PREFSRC.rawValue)).flatMap { IPAddress(bytes: $0) }
        let metric = tb[Int(RTA_PRIORITY.rawValue)].map { nla_get_u32($0) }
        return Route(table: table, destination: destination, type: RouteType(rawValue: rtm.rtm_type) ?? .other,
                     gateway: gateway, ifindex: oif, ifname: oif.map { names[$0] ?? "if\($0)" }, preferredSource: source,
                     scope: RouteScope(rawValue: rtm.rtm_scope) ?? .universe, proto: rtm.rtm_protocol,
                     metric: metric, onlink: onlink)
    }

    static func rule(_ hdr: UnsafeMutablePointer<nlmsghdr>) -> Rule? {
        let frh = nlmsg_data(hdr).assumingMemoryBound(to: fib_rule_hdr.self).pointee
        guard Int32(frh.family) == AF_INET || Int32(frh.family) == AF_INET6 else { return nil }
        let family: IPFamily = Int32(frh.family) == AF_INET ? .v4 : .v6
        let tb = Attributes(hdr, header: MemoryLayout<fib_rule_hdr>.size, max: Int(__FRA_MAX) - 1)
        var source: IPPrefix?
        if let raw = tb.bytes(Int(FRA_SRC)), let ip = IPAddress(bytes: raw) {
            source = IPPrefix(address: ip, length: frh.src_len)
        }
        let suppress = tb[Int(FRA_SUPPRESS_PREFIXLEN)].map { nla_get_u32($0) }.flatMap { $0 == UInt32.max ? nil : $0 }
        let selectors = [FRA_DST, FRA_IIFNAME, FRA_OIFNAME, FRA_FWMARK, FRA_FWMASK, FRA_GOTO, FRA_L3MDEV, FRA_UID_RANGE,
                         FRA_IP_PROTO, FRA_SPORT_RANGE, FRA_DPORT_RANGE, FRA_TUN_ID]
        let other = frh.dst_len != 0 || frh.tos != 0 || frh.flags & UInt32(FIB_RULE_INVERT) != 0
            || selectors.contains { tb[Int($0)] != nil }
            || (tb[Int(FRA_SUPPRESS_IFGROUP)].map { nla_get_u32($0) != UInt32.max } ?? false)
        return Rule(family: family, priority: tb[Int(FRA_PRIORITY)].map { nla_get_u32($0) } ?? 0, source: source,
                    table: tb[Int(FRA_TABLE)].map { nla_get_u32($0) } ?? UInt32(frh.table),
                    action: RuleAction(rawValue: frh.action) ?? .unspecified,
                    proto: tb[Int(FRA_PROTOCOL)].map { nla_get_u8($0) } ?? 0,
                    suppressPrefixLength: suppress, hasOtherSelectors: other)
    }
}

/// The attribute table of one message (`nlmsg_parse`), indexed by attribute type.
struct Attributes {
    private var table: [UnsafeMutablePointer<nlattr>?]

    init(_ hdr: UnsafeMutablePointer<nlmsghdr>, header: Int, max: Int) {
        table = [UnsafeMutablePointer<nlattr>?](repeating: nil, count: max + 1)
        let rc = table.withUnsafeMutableBufferPointer { buffer in
            nlmsg_parse(hdr, Int32(header), buffer.baseAddress, Int32(max), nil)
        }
        if rc < 0 { table = [] }
    }

    subscript(_ type: Int) -> UnsafeMutablePointer<nlattr>? {
        type < table.count ? table[type] : nil
    }

    func bytes(_ type: Int) -> [UInt8]? {
        guard let attr = self[type] else { return nil }
        return Array(UnsafeRawBufferPointer(start: nla_data(attr), count: Int(nla_len(attr))))
    }
}
