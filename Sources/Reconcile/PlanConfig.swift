// SPDX-License-Identifier: Apache-2.0
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import Model

/// The configuration the planner needs; the CLI builds it from flags, environment and file.
/// The defaults are declared here and in `RoutingScheme.standard` only: the CLI's defaults are
/// `PlanConfig.standard` and `RoutingScheme.standard`.
public struct PlanConfig: Sendable, Hashable, Codable {
    public var scheme: RoutingScheme
    public var ipv6: Bool
    public var bringUpLinks: Bool
    /// Consecutive complete reads an owned object must be absent from before it is removed.
    public var removalGrace: Int
    public var ignored: InterfaceMatcher
    /// What delegated prefixes get (docs/design.md §3, "Delegated prefixes").
    public var prefixes: PrefixMode

    public init(scheme: RoutingScheme = .standard, ipv6: Bool = true, bringUpLinks: Bool = true,
                removalGrace: Int = 2, ignored: InterfaceMatcher = InterfaceMatcher(), prefixes: PrefixMode = .route) {
        self.scheme = scheme
        self.ipv6 = ipv6
        self.bringUpLinks = bringUpLinks
        self.removalGrace = max(1, removalGrace)
        self.ignored = ignored
        self.prefixes = prefixes
    }

    /// Every default: IPv6 on, bring-up on, a removal grace of 2, nothing ignored, prefixes routed.
    public static let standard = PlanConfig()
}

/// `ENI_AGENT_PREFIXES`: what an ENI's delegated prefixes (`ipv4-prefixes`, `ipv6-prefixes`) get.
public enum PrefixMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// On a secondary ENI, source rules `from <prefix>` into the ENI's two tables, at its address
    /// rules' priorities; no address: a CNI or an IPAM owns the prefix's addresses.
    case route
    /// `route`, and a `local <prefix>` route in table `local` on the ENI: the host answers for
    /// every address of the prefix (AnyIP).
    case local
    /// `route`, and every address of each IPv4 prefix on the ENI, as its other addresses are
    /// (IPv6 prefixes are routed only: a /80 holds 2^48 addresses).
    case addresses
    /// Prefixes are neither read nor configured.
    case off

    /// `addresses` configures at most this many addresses of an ENI's IPv4 prefixes (sixteen
    /// /28s; Alibaba assigns up to ten); the rest are named in a warning.
    public static let maxAddressesPerENI = 256
}

/// Interfaces the agent must not manage: exact names, shell globs on the name (fnmatch(3):
/// `*`, `?`, `[...]`), or MAC addresses.
public struct InterfaceMatcher: Sendable, Hashable, Codable {
    public var patterns: [String]

    public init(_ patterns: [String] = []) {
        self.patterns = patterns.filter { !$0.isEmpty }
    }

    public func matches(name: String, mac: MACAddress?) -> Bool {
        patterns.contains { pattern in
            if let patternMAC = MACAddress(pattern) { return patternMAC == mac }
            return fnmatch(pattern, name, 0) == 0
        }
    }
}
