import CNetlink
import Model
#if canImport(Glibc)
import Glibc
#endif

/// `Op` → an rtnetlink request, built with libnl's message API. Hand-built rather than through
/// libnl's route objects because libnl 3.7 has no setter for two attributes the agent needs
/// (IFA_PROTO on addresses, FRA_SUPPRESS_PREFIXLEN on rules), and one way of building every
/// request is easier to get exactly right than two.
enum Requests {
    /// nil only when memory runs out.
    static func message(for op: Op) -> OpaquePointer? {
        switch op {
        case .setLinkUp(let index, _):
            var ifi = ifinfomsg()
            ifi.ifi_family = UInt8(AF_UNSPEC)
            ifi.ifi_index = index
            ifi.ifi_flags = UInt32(IFF_UP.rawValue)
            ifi.ifi_change = UInt32(IFF_UP.rawValue)
            return build(Int32(RTM_NEWLINK), 0, &ifi) { _ in true }
        case .addAddress(let a):
            return address(a, type: Int32(RTM_NEWADDR), flags: NLM_F_CREATE | NLM_F_EXCL)
        case .removeAddress(let a):
            return address(a, type: Int32(RTM_DELADDR), flags: 0)
        case .addRoute(let r, let replace):
            return route(r, type: Int32(RTM_NEWROUTE), flags: NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL))
        case .removeRoute(let r):
            return route(r, type: Int32(RTM_DELROUTE), flags: 0)
        case .addRule(let r):
            return rule(r, type: Int32(RTM_NEWRULE), flags: NLM_F_CREATE | NLM_F_EXCL)
        case .removeRule(let r):
            return rule(r, type: Int32(RTM_DELRULE), flags: 0)
        }
    }

    private static func address(_ a: Address, type: Int32, flags: Int32) -> OpaquePointer? {
        var ifa = ifaddrmsg()
        ifa.ifa_family = family(a.family)
        ifa.ifa_prefixlen = a.prefix.length
        ifa.ifa_flags = UInt8(truncatingIfNeeded: a.flags.rawValue)
        ifa.ifa_scope = 0
        ifa.ifa_index = UInt32(bitPattern: a.ifindex)
        let bytes = a.address.bytes
        return build(type, flags, &ifa) { msg in
            if a.family == .v4 && put(msg, Int32(IFA_LOCAL), bytes) == false { return false }
            guard put(msg, Int32(IFA_ADDRESS), bytes) else { return false }
            if type == Int32(RTM_NEWADDR) {
                guard nla_put_u32(msg, Int32(IFA_FLAGS), a.flags.rawValue) == 0 else { return false }
                if let proto = a.proto, nla_put_u8(msg, Int32(IFA_PROTO), proto) != 0 { return false }
            }
            return true
        }
    }

    private static func route(_ r: Route, type: Int32, flags: Int32) -> OpaquePointer? {
        var rtm = rtmsg()
        rtm.rtm_family = family(r.family)
        rtm.rtm_dst_len = r.destination.length
        rtm.rtm_table = r.table < 256 ? UInt8(r.table) : UInt8(RT_TABLE_UNSPEC.rawValue)
        rtm.rtm_protocol = r.proto
        // A delete matches whatever scope the route has.
        rtm.rtm_scope = type == Int32(RTM_DELROUTE) ? UInt8(RT_SCOPE_NOWHERE.rawValue) : r.scope.rawValue
        rtm.rtm_type = r.type.rawValue
        rtm.rtm_flags = r.onlink ? UInt32(RTNH_F_ONLINK) : 0
        return build(type, flags, &rtm) { msg in
            guard nla_put_u32(msg, Int32(RTA_TABLE.rawValue), r.table) == 0 else { return false }
            if r.destination.length > 0, !put(msg, Int32(RTA_DST.rawValue), r.destination.network.address.bytes) { return false }
            if let gateway = r.gateway, !put(msg, Int32(RTA_GATEWAY.rawValue), gateway.bytes) { return false }
            if let index = r.ifindex, nla_put_u32(msg, Int32(RTA_OIF.rawValue), UInt32(bitPattern: index)) != 0 { return false }
            if let source = r.preferredSource, !put(msg, Int32(RTA_PREFSRC.rawValue), source.bytes) { return false }
            if let metric = r.metric, nla_put_u32(msg, Int32(RTA_PRIORITY.rawValue), metric) != 0 { return false }
            return true
        }
    }

    private static func rule(_ r: Rule, type: Int32, flags: Int32) -> OpaquePointer? {
        var frh = fib_rule_hdr()
        frh.family = family(r.family)
        frh.src_len = r.source?.length ?? 0
        frh.table = r.table < 256 ? UInt8(r.table) : UInt8(RT_TABLE_UNSPEC.rawValue)
        frh.action = r.action.rawValue
        return build(type, flags, &frh) { msg in
            guard nla_put_u32(msg, Int32(FRA_PRIORITY), r.priority) == 0,
                  nla_put_u32(msg, Int32(FRA_TABLE), r.table) == 0,
                  nla_put_u8(msg, Int32(FRA_PROTOCOL), r.proto) == 0 else { return false }
            if let source = r.source, source.length > 0, !put(msg, Int32(FRA_SRC), source.address.bytes) { return false }
            if let suppress = r.suppressPrefixLength, nla_put_u32(msg, Int32(FRA_SUPPRESS_PREFIXLEN), suppress) != 0 { return false }
            return true
        }
    }

    /// A message of `type` with the family header `header` and the attributes `attributes` adds.
    private static func build<Header>(_ type: Int32, _ flags: Int32, _ header: inout Header,
                                      _ attributes: (OpaquePointer) -> Bool) -> OpaquePointer? {
        guard let msg = nlmsg_alloc_simple(type, flags) else { return nil }
        let appended = withUnsafeMutableBytes(of: &header) { raw in
            nlmsg_append(msg, raw.baseAddress, raw.count, Int32(NLMSG_ALIGNTO))
        }
        guard appended == 0, attributes(msg) else {
            nlmsg_free(msg)
            return nil
        }
        return msg
    }

    private static func put(_ msg: OpaquePointer, _ type: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { nla_put(msg, type, Int32($0.count), $0.baseAddress) } == 0
    }

    static func family(_ family: IPFamily) -> UInt8 {
        family == .v4 ? UInt8(AF_INET) : UInt8(AF_INET6)
    }
}
