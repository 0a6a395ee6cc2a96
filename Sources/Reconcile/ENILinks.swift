// SPDX-License-Identifier: Apache-2.0
public import Model

/// Which link is an ENI's (docs/design.md §3). VLANs, macvlans, ipvlans and macsec links take
/// their lower device's MAC, and bridges, bonds and teams one of their ports': so several links
/// can carry an ENI's MAC. The ENI is the one whose MAC is its own: a link of none of those
/// kinds. If that link is enslaved to a bridge, bond or other master, the ENI is somebody
/// else's design (a bridge for VMs, a bond): it is reported and left alone, neither configured
/// nor cleaned up. Two such links with one MAC (which no ECS instance has) are left alone too.
public struct ENILinks: Sendable {
    public enum Resolution: Sendable, Hashable {
        /// The ENI's link.
        case link(Link)
        /// No link carries the MAC as its own (maybe only derived devices do).
        case absent
        /// The ENI's link is enslaved to `master` (its index; the master's link when known).
        case enslaved(Link, master: Link?)
        /// More than one unenslaved link carries the MAC as its own.
        case ambiguous([Link])
    }

    /// Link kinds (IFLA_INFO_KIND) whose MAC is copied from another device.
    public static let derivedMACKinds: Set<String> = [
        "vlan", "macvlan", "macvtap", "ipvlan", "ipvtap", "macsec", "bridge", "bond", "team", "hsr", "prp",
    ]

    /// Whether `link` could be an ENI's link, now or once metadata lists its MAC: it carries a
    /// MAC of its own (not one of `derivedMACKinds`) that a NIC could have
    /// (`MACAddress.isUniversalUnicast`: metadata lists only those), and has no master. The
    /// daemon looks at the metadata again only for changes of such links (docs/design.md §5), and
    /// looks for the metadata of such a link that it does not list yet (hot-plug). `resolve`
    /// matches any MAC, since what metadata lists decides there.
    public static func couldBeENI(_ link: Link) -> Bool {
        couldBeENI(mac: link.mac, kind: link.kind, master: link.master)
    }

    /// The same test on the fields one at a time, for a link of which only some are known.
    public static func couldBeENI(mac: MACAddress?, kind: String?, master: Int32?) -> Bool {
        guard let mac, mac.isUniversalUnicast else { return false }
        return !derivedMACKinds.contains(kind ?? "") && master == nil
    }

    private let byMAC: [MACAddress: [Link]]
    private let byIndex: [Int32: Link]

    public init(kernel: KernelState) {
        var byMAC: [MACAddress: [Link]] = [:]
        for link in kernel.links {
            guard let mac = link.mac, !Self.derivedMACKinds.contains(link.kind ?? "") else { continue }
            byMAC[mac, default: []].append(link)
        }
        self.byMAC = byMAC
        byIndex = Dictionary(kernel.links.map { ($0.index, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func resolve(_ mac: MACAddress) -> Resolution {
        let own = byMAC[mac] ?? []
        let free = own.filter { $0.master == nil }
        if free.count == 1 { return .link(free[0]) }
        if free.count > 1 { return .ambiguous(free) }
        guard let enslaved = own.first else { return .absent }
        return .enslaved(enslaved, master: enslaved.master.flatMap { byIndex[$0] })
    }

    /// The ENI's link when there is exactly one to manage.
    public func link(for mac: MACAddress) -> Link? {
        if case .link(let link) = resolve(mac) { return link }
        return nil
    }
}
