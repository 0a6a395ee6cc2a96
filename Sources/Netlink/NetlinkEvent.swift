// SPDX-License-Identifier: Apache-2.0
public import Model

/// A change the kernel announced (`NetlinkEvents`).
public enum NetlinkEvent: Sendable, Hashable {
    /// A link appeared: created, or moved into this namespace.
    case linkAdded(Link)
    /// A link changed in a field `Link` holds; `changes` says which, against the last value
    /// this stream saw for it (a link dump when the stream starts, then every event). The
    /// kernel's RTM_NEWLINKs that change none of them (statistics, operstate, IPv6 settings) are
    /// not reported. `changes` is `.all` for a link the stream had not seen.
    case linkChanged(Link, changes: LinkChanges)
    /// A link went: deleted, or moved to another namespace; as the kernel last described it
    /// (kind, master and MAC included, so that a veth's end is told from an ENI's).
    case linkRemoved(Link)
    case addressAdded(Address)
    case addressRemoved(Address)
    /// A route added or replaced, in any table, either family (cloned routes, the kernel's
    /// route cache, excluded). `Route.table` and `Route.proto` tell the agent's own routes
    /// (`eniAgentProtocol`) from the rest: a container runtime's routes come through here too.
    /// The kernel announces no IPv4 route that goes with its link or address (it flushes those
    /// silently); the link or address event stands for them.
    case routeAdded(Route)
    /// A route deleted (an administrator, a network manager, a flushed table).
    case routeRemoved(Route)
    case ruleAdded(Rule)
    case ruleRemoved(Rule)
    /// Events were lost (the socket overflowed: ENOBUFS) or one could not be parsed: re-read
    /// everything.
    case overflow
}

/// Which fields of a `Link` an RTM_NEWLINK changed.
public struct LinkChanges: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let name = LinkChanges(rawValue: 1 << 0)
    public static let mac = LinkChanges(rawValue: 1 << 1)
    /// Enslaved to a bridge, bond or VRF, or released from one.
    public static let master = LinkChanges(rawValue: 1 << 2)
    public static let kind = LinkChanges(rawValue: 1 << 3)
    /// Administratively up or down (IFF_UP).
    public static let up = LinkChanges(rawValue: 1 << 4)
    /// Carrier gained or lost (IFF_LOWER_UP).
    public static let carrier = LinkChanges(rawValue: 1 << 5)
    public static let mtu = LinkChanges(rawValue: 1 << 6)
    /// `promote_secondaries`. The kernel announces nothing when only the sysctl is written: the
    /// new value rides on the link's next RTM_NEWLINK, and `snapshot()` always reads it.
    public static let promotesSecondaries = LinkChanges(rawValue: 1 << 7)

    /// What can make a link an ENI or stop it being one (matched by MAC, never a stacked or
    /// enslaved device): the metadata is worth looking at again.
    public static let identity: LinkChanges = [.name, .mac, .master, .kind]
    public static let all: LinkChanges = [.identity, .up, .carrier, .mtu, .promotesSecondaries]

    /// The fields in which `new` differs from `old`.
    public init(from old: Link, to new: Link) {
        var changes: LinkChanges = []
        if old.name != new.name { changes.insert(.name) }
        if old.mac != new.mac { changes.insert(.mac) }
        if old.master != new.master { changes.insert(.master) }
        if old.kind != new.kind { changes.insert(.kind) }
        if old.isUp != new.isUp { changes.insert(.up) }
        if old.hasCarrier != new.hasCarrier { changes.insert(.carrier) }
        if old.mtu != new.mtu { changes.insert(.mtu) }
        if old.promotesSecondaries != new.promotesSecondaries { changes.insert(.promotesSecondaries) }
        self = changes
    }

    public var description: String {
        let names: [(LinkChanges, String)] = [(.name, "name"), (.mac, "mac"), (.master, "master"), (.kind, "kind"), (.up, "up"),
                                              (.carrier, "carrier"), (.mtu, "mtu"), (.promotesSecondaries, "promote_secondaries")]
        return "[" + names.filter { contains($0.0) }.map(\.1).joined(separator: ", ") + "]"
    }
}
