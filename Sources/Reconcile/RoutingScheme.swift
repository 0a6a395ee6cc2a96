// SPDX-License-Identifier: Apache-2.0

/// Every table number and rule priority eni-agent uses, in one place. Nothing else hard-codes one.
///
/// For a secondary ENI whose link has index `i` (its "slot"):
///
///     priority subnetBase+i   from A lookup subnetBase+i       table holds the vSwitch subnet
///                                                              (`scope link src <primary>`)
///     priority suppress       lookup main suppress_prefixlength 0
///     priority defaultBase+i  from A lookup defaultBase+i      table holds `default via <gw> onlink`
///
/// for every address A of the ENI, per family. Why this order:
/// - the subnet rule comes first so that traffic from A to its own vSwitch leaves through A's ENI
///   even when the main table routes that subnet through another ENI (DHCP's connected route);
/// - the suppress rule then lets main-table routes *more specific than default* win for every
///   source (containers, VPNs, the primary ENI's subnet): a per-ENI default must not steal them;
/// - only what is left, the Internet and other VPC subnets, takes A's ENI default route, so a reply
///   leaves through the ENI that owns its source address (Alibaba's VPC drops the rest).
/// The local (0) and main (32766) rules are untouched; priorities sit between them. The primary
/// ENI gets no rules: its addresses use the main table, where DHCP put its routes.
public struct RoutingScheme: Sendable, Hashable, Codable {
    public var subnetBase: UInt32
    public var suppressPriority: UInt32
    public var defaultBase: UInt32

    /// The defaults, and the only place they are written (the CLI's defaults read them here).
    public static let standard = RoutingScheme(unchecked: 10000, suppressPriority: 19999, defaultBase: 20000)

    /// The kernel's rule for the main table sits at 32766; ours stay below it.
    static let mainRulePriority: UInt32 = 32766

    public enum Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        case order(String)
        public var description: String {
            switch self { case .order(let text): text }
        }
    }

    public init(subnetBase: UInt32 = standard.subnetBase, suppressPriority: UInt32 = standard.suppressPriority,
                defaultBase: UInt32 = standard.defaultBase) throws(Invalid) {
        guard subnetBase >= 256 else {
            throw .order("subnet table base \(subnetBase) must be at least 256 (0-255 are the kernel's tables)")
        }
        guard subnetBase < suppressPriority, suppressPriority < defaultBase else {
            throw .order("priorities must satisfy subnet base (\(subnetBase)) < suppress priority (\(suppressPriority)) < default base (\(defaultBase))")
        }
        guard defaultBase < Self.mainRulePriority else {
            throw .order("default base \(defaultBase) must be below the main rule's priority 32766")
        }
        self.init(unchecked: subnetBase, suppressPriority: suppressPriority, defaultBase: defaultBase)
    }

    private init(unchecked subnetBase: UInt32, suppressPriority: UInt32, defaultBase: UInt32) {
        self.subnetBase = subnetBase
        self.suppressPriority = suppressPriority
        self.defaultBase = defaultBase
    }

    /// The largest link index that fits: subnet rules must stay below the suppress rule and
    /// default rules below the main rule.
    public var maxSlot: Int32 {
        Int32(min(suppressPriority - subnetBase - 1, Self.mainRulePriority - defaultBase - 1))
    }

    public func slot(forLinkIndex index: Int32) -> Int32? {
        index > 0 && index <= maxSlot ? index : nil
    }

    public func subnetTable(slot: Int32) -> UInt32 { subnetBase + UInt32(slot) }
    public func defaultTable(slot: Int32) -> UInt32 { defaultBase + UInt32(slot) }

    /// The slot a table number belongs to, if it is one of ours.
    public func slot(ofTable table: UInt32) -> Int32? {
        for base in [subnetBase, defaultBase] where table > base && table - base <= UInt32(maxSlot) {
            return Int32(table - base)
        }
        return nil
    }
}
