// SPDX-License-Identifier: Apache-2.0
public import Model

/// The ENI an op or a note is about, for log fields (ENI_ID, ENI_MAC, IFNAME).
public struct ENIRef: Sendable, Hashable, Codable {
    public var id: String?
    public var mac: MACAddress
    public var ifname: String?

    public init(id: String?, mac: MACAddress, ifname: String?) {
        self.id = id
        self.mac = mac
        self.ifname = ifname
    }
}

public struct PlannedOp: Sendable, Hashable, Codable, CustomStringConvertible {
    public var op: Op
    /// Why, in a few words: "secondary private IPv4 of eni-bp1…", "absent from metadata for 2 reads".
    public var reason: String
    public var eni: ENIRef?
    /// The delegated prefix the op serves, when the planner added it for one (logs' `PREFIX`).
    public var prefix: IPPrefix?

    public init(op: Op, reason: String, eni: ENIRef?, prefix: IPPrefix? = nil) {
        self.op = op
        self.reason = reason
        self.eni = eni
        self.prefix = prefix
    }

    public var description: String { "\(op)  # \(reason)" }
}

/// Something the operator should know about a plan: rejected metadata values, conflicts with
/// objects the agent does not own, removals held back.
public struct PlanNote: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Level: String, Sendable, Hashable, Codable { case info, warning }

    public var level: Level
    public var eni: ENIRef?
    public var message: String

    public init(_ level: Level, eni: ENIRef?, _ message: String) {
        self.level = level
        self.eni = eni
        self.message = message
    }

    public var description: String { message }
}

public struct Plan: Sendable, Hashable, Codable {
    /// Link bring-up, then additions, then removals (rules, routes, addresses), address
    /// removals in `AddressRemovalOrder`'s order: a subnet's primary that would take additions
    /// of this plan with it comes first of all.
    public var ops: [PlannedOp]
    public var notes: [PlanNote]
    /// The ownership to persist with the removal counters of this read; record the results of
    /// applying `ops` into it with `Ownership.recording(_:macs:)`.
    public var ownership: Ownership
    /// ENIs with a link that the plan manages, and the addresses they should have.
    public var managed: [ManagedENI]
    /// False when some removals were held back: no metadata, a listing without the primary ENI,
    /// or an ENI whose read was incomplete or held a rejected value (that ENI's removals, and
    /// those shared by every ENI, were not planned; the other ENIs' were).
    public var removalsAllowed: Bool

    public var isEmpty: Bool { ops.isEmpty }
}

/// What the plan decided for one ENI, for status lines and `eni-agent status`.
public struct ManagedENI: Sendable, Hashable, Codable {
    public var eni: ENIRef
    public var ifindex: Int32
    public var isPrimary: Bool
    /// nil for the primary ENI (main table).
    public var subnetTable: UInt32?
    public var defaultTable: UInt32?
    public var addresses: [IPPrefix]
    /// The delegated prefixes the plan serves on this ENI (none with `ENI_AGENT_PREFIXES=off`).
    public var prefixes: [IPPrefix]
    public var complete: Bool
}
