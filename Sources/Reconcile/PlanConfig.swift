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

    public init(scheme: RoutingScheme = .standard, ipv6: Bool = true, bringUpLinks: Bool = true,
                removalGrace: Int = 2, ignored: InterfaceMatcher = InterfaceMatcher()) {
        self.scheme = scheme
        self.ipv6 = ipv6
        self.bringUpLinks = bringUpLinks
        self.removalGrace = max(1, removalGrace)
        self.ignored = ignored
    }

    /// Every default: IPv6 on, bring-up on, a removal grace of 2, nothing ignored.
    public static let standard = PlanConfig()
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
