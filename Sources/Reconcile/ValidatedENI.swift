// SPDX-License-Identifier: Apache-2.0
import Model

/// One ENI's metadata reduced to what may be configured (docs/design.md §4.6), before anything
/// is compared with the kernel or other ENIs. A value that may not is named in a warning and,
/// once the ENI is managed, makes it hold its removals: metadata that is wrong in one place is
/// not trusted to say what should go.
struct ValidatedENI {
    var eni: ENI
    var isPrimary: Bool
    /// Host addresses with the vSwitch prefix length; on a secondary ENI its primary address first.
    var v4: [IPPrefix] = []
    var gateway4: IPv4Address?
    var v6: [IPPrefix] = []
    /// The IPv6 vSwitch subnets of `v6`, in order.
    var subnets6: [IPPrefix] = []
    var gateway6: IPv6Address?
    /// Delegated prefixes inside the vSwitch of their family, host bits cleared.
    var prefixes4: [IPPrefix] = []
    var prefixes6: [IPPrefix] = []
    /// One warning per rejected value.
    var rejections: [String] = []
    /// The first rejected value, for the note that says why this ENI's removals wait.
    var firstRejected: String?

    var name: String { eni.id ?? eni.mac.description }

    init(_ eni: ENI, isPrimary: Bool, ipv6: Bool, prefixes: Bool = true) {
        self.eni = eni
        self.isPrimary = isPrimary
        validateIPv4(prefixes: prefixes)
        if ipv6 { validateIPv6(prefixes: prefixes) }
    }

    /// Delegated prefixes that may be configured for this vSwitch (`unusableDelegatedReason`).
    private mutating func validatePrefixes(_ prefixes: [IPPrefix], key: String, in subnet: IPPrefix?) -> [IPPrefix] {
        var valid: [IPPrefix] = []
        for prefix in unique(prefixes.map(\.network)) {
            if let why = prefix.unusableDelegatedReason(in: subnet) { reject(key, "\(prefix)", why) } else { valid.append(prefix) }
        }
        return valid
    }

    private mutating func reject(_ key: String, _ value: String, _ why: String, _ outcome: String = "not applied") {
        rejections.append("\(name) \(key) \(value.prefix(200)) rejected: \(why); \(outcome)")
        if firstRejected == nil { firstRejected = "\(key) \(value.prefix(200)) rejected" }
    }

    private mutating func validateIPv4(prefixes: Bool) {
        var subnet = eni.ipv4Subnet
        if let given = subnet, let why = given.unusableSubnetReason {
            reject("vSwitch CIDR", "\(given)", why, "its IPv4 addresses and routes are not applied")
            subnet = nil
        } else if subnet == nil && !eni.privateIPv4s.isEmpty {
            reject("vSwitch CIDR", "(none)", "no vswitch-cidr-block or netmask, so the IPv4 prefix length is unknown",
                   "its IPv4 addresses are not applied")
        }
        if subnet == nil && prefixes && !eni.ipv4Prefixes.isEmpty {
            reject("ipv4-prefixes", eni.ipv4Prefixes.map { "\($0)" }.joined(separator: ","), "no usable vSwitch CIDR to check them against")
        }
        guard let subnet else { return }
        if prefixes { prefixes4 = validatePrefixes(eni.ipv4Prefixes, key: "ipv4-prefixes", in: subnet) }
        var candidates = eni.privateIPv4s
        if let primary = eni.primaryIPv4 {
            candidates.removeAll { $0 == primary }
            if isPrimary {
                // Never configured (DHCP owns it), but a primary outside the vSwitch says the
                // metadata is not to be trusted.
                if let why = IPAddress.v4(primary).unusableReason(as: .host, in: subnet) { reject("primary-ip-address", "\(primary)", why) }
            } else {
                candidates.insert(primary, at: 0)
            }
        }
        for address in unique(candidates) {
            if let why = IPAddress.v4(address).unusableReason(as: .host, in: subnet) {
                reject(address == eni.primaryIPv4 ? "primary-ip-address" : "private-ipv4s", "\(address)", why)
            } else {
                v4.append(IPPrefix(address: .v4(address), length: subnet.length)!)
            }
        }
        if let gateway = eni.gateway {
            if let why = IPAddress.v4(gateway).unusableReason(as: .gateway, in: subnet) { reject("gateway", "\(gateway)", why) } else { gateway4 = gateway }
        }
    }

    private mutating func validateIPv6(prefixes: Bool) {
        var given = eni.ipv6Subnet
        if let subnet = given, let why = subnet.unusableSubnetReason {
            reject("vswitch-ipv6-cidr-block", "\(subnet)", why, "its IPv6 addresses and routes are not applied")
            given = nil
            if !eni.ipv6s.isEmpty || (prefixes && !eni.ipv6Prefixes.isEmpty) { return }
        }
        if prefixes {
            prefixes6 = validatePrefixes(eni.ipv6Prefixes, key: "ipv6-prefixes", in: given)
            // Without vswitch-ipv6-cidr-block a prefix's routes go to the /64 around it, as an
            // address's do.
            for prefix in prefixes6 {
                let subnet = given?.network ?? IPPrefix(address: prefix.address, length: 64)!.network
                if !subnets6.contains(subnet) { subnets6.append(subnet) }
            }
        }
        for address in unique(eni.ipv6s) {
            let subnet = given ?? IPPrefix(address: .v6(address), length: 64)!.network
            if let why = IPAddress.v6(address).unusableReason(as: .host, in: subnet) {
                reject("ipv6s", "\(address)", why)
                continue
            }
            v6.append(IPPrefix(address: .v6(address), length: subnet.length)!)
            if !subnets6.contains(subnet.network) { subnets6.append(subnet.network) }
        }
        guard let gateway = eni.ipv6Gateway else { return }
        let why: String? = if let subnet = given ?? subnets6.first {
            IPAddress.v6(gateway).unusableReason(as: .gateway, in: subnet)
        } else {
            IPAddress.v6(gateway).unusableReason(as: .gateway)
        }
        if let why { reject("ipv6-gateway", "\(gateway)", why) } else { gateway6 = gateway }
    }

    /// The kernel refuses a route via a local address (EINVAL, "Nexthop has invalid gateway"):
    /// a gateway that is an address of this instance (listed on any ENI, or on any link) is
    /// refused here, once, instead of failing every cycle.
    mutating func refuseLocalGateways(_ local: Set<IPAddress>) {
        if let gateway = gateway4, local.contains(.v4(gateway)) {
            reject("gateway", "\(gateway)", "it is an address of this instance", "no default route through it")
            gateway4 = nil
        }
        if let gateway = gateway6, local.contains(.v6(gateway)) {
            reject("ipv6-gateway", "\(gateway)", "it is an address of this instance", "no IPv6 default route through it")
            gateway6 = nil
        }
    }

    /// Metadata order without repeats (the parsers drop them too; a cached or hand-made network
    /// may not have been through them).
    private func unique<T: Hashable>(_ items: [T]) -> [T] {
        var seen = Set<T>()
        return items.filter { seen.insert($0).inserted }
    }
}
