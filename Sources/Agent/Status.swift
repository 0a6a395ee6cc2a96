// SPDX-License-Identifier: Apache-2.0
#if canImport(Glibc)
import Glibc
#endif
public import Model
public import Reconcile

/// `eni-agent status`: the kernel as it is now, read fresh, annotated with what the state file
/// says (ownership, the last metadata read, the last sync). Needs no daemon and no privileges.
public struct StatusReport: Sendable, Codable {
    public var stateFile: String
    /// Why the state file could not be read (it exists but is unreadable or malformed): the
    /// report then knows ownership from kernel marks only.
    public var stateError: String?
    public var updatedAt: String?
    public var pid: Int32?
    /// Whether the process that last wrote the state file is still alive.
    public var writerRunning: Bool
    public var lastSync: SyncSummary?
    public var enis: [ENIStatus]
    /// Rules shared by all ENIs (suppress_prefixlength), as `ip rule` shows them, with `-6 `
    /// in front of the IPv6 ones.
    public var sharedRules: [String]

    public struct ENIStatus: Sendable, Codable {
        public var mac: MACAddress
        public var id: String?
        public var ifname: String?
        public var ifindex: Int32?
        public var linkUp: Bool?
        public var primary: Bool
        /// False for a link that still holds the agent's objects although the last metadata
        /// read no longer lists its MAC: they go after the removal grace.
        public var inMetadata: Bool
        public var subnetTable: UInt32?
        public var defaultTable: UInt32?
        public var addresses: [AddressStatus]
        /// Delegated prefixes: those metadata assigns, and those the agent still serves although
        /// it no longer does.
        public var prefixes: [PrefixStatus]
        public var routes: [String]
    }

    public struct PrefixStatus: Sendable, Codable {
        /// `owned`: every rule and route the mode wants for it is there; `missing`: some are not;
        /// `stale`: no longer in metadata, its rules and routes go after the grace.
        public var prefix: IPPrefix
        public var state: AddressStatus.State
        /// Priorities of the agent's source rules for this prefix.
        public var rules: [UInt32]
        /// Whether the agent's `local` route for it is there (`ENI_AGENT_PREFIXES=local`).
        public var local: Bool
    }

    public struct AddressStatus: Sendable, Codable {
        public enum State: String, Sendable, Codable {
            /// Present and created by eni-agent.
            case owned
            /// Present, created by someone else (DHCP, an administrator): never touched.
            case foreign
            /// In metadata, not in the kernel.
            case missing
            /// Created by eni-agent, no longer in metadata: removed after the grace.
            case stale
        }
        public var address: IPPrefix
        public var state: State
        /// Priorities of the agent's source rules for this address.
        public var rules: [UInt32]
    }

    public static func build(kernel: KernelState, state: PersistedState?, config: PlanConfig, stateFile: String) -> StatusReport {
        let ownership = state?.ownership ?? Ownership()
        let plan = Reconcile.plan(desired: state?.network, actual: kernel, owned: ownership, config: config)
        let managed = Dictionary(plan.managed.map { ($0.eni.mac, $0) }, uniquingKeysWith: { first, _ in first })
        let owner = AddressOwnership(kernel: kernel, ownership: ownership)
        func isOwned(_ a: Address) -> Bool { owner.owns(a) }
        func rules(for address: IPAddress) -> [UInt32] {
            kernel.rules.filter { $0.proto == eniAgentProtocol && $0.source?.address == address && $0.source?.isHost == true }
                .map(\.priority).sorted()
        }

        var enis: [ENIStatus] = []
        for eni in state?.network?.enis ?? [] {
            let link = kernel.link(mac: eni.mac)
            let m = managed[eni.mac]
            let present = kernel.addresses.filter { $0.ifindex == link?.index }
            let addresses = AddressStates.classify(wanted: m?.addresses ?? [], present: present, isOwned: isOwned).map { entry in
                AddressStatus(address: entry.prefix, state: entry.state, rules: entry.state == .foreign && !entry.wanted ? [] : rules(for: entry.prefix.address))
            }
            let prefixes = prefixStatus(wanted: m, link: link, kernel: kernel, config: config)
            let tables = Set([m?.subnetTable, m?.defaultTable].compactMap { $0 })
            let routes = kernel.routes.filter { route in
                route.proto == eniAgentProtocol && (tables.contains(route.table) || (route.ifindex == link?.index && link != nil))
            }.map(Op.render)
            enis.append(ENIStatus(mac: eni.mac, id: eni.id, ifname: link?.name, ifindex: link?.index, linkUp: link?.isUp,
                                  primary: eni.mac == state?.network?.primaryMAC, inMetadata: true, subnetTable: m?.subnetTable,
                                  defaultTable: m?.defaultTable, addresses: addresses, prefixes: prefixes, routes: routes))
        }
        // ENIs detached in metadata whose link is still here: what the agent left on them is
        // what the next syncs will remove, and exactly what an operator asks status about.
        let listed = Set((state?.network?.enis ?? []).map(\.mac))
        for link in kernel.links {
            guard let mac = link.mac, state?.network != nil, !listed.contains(mac) else { continue }
            let owned = kernel.addresses.filter { $0.ifindex == link.index && isOwned($0) }
            let routes = kernel.routes.filter { $0.proto == eniAgentProtocol && $0.ifindex == link.index }
            guard !owned.isEmpty || !routes.isEmpty else { continue }
            enis.append(ENIStatus(mac: mac, id: nil, ifname: link.name, ifindex: link.index, linkUp: link.isUp, primary: false,
                                  inMetadata: false, subnetTable: nil, defaultTable: nil,
                                  addresses: owned.map { AddressStatus(address: $0.prefix, state: .stale, rules: rules(for: $0.address)) },
                                  prefixes: prefixStatus(wanted: nil, link: link, kernel: kernel, config: config),
                                  routes: routes.map(Op.render)))
        }
        let shared = kernel.rules.filter { $0.proto == eniAgentProtocol && $0.source == nil }
            .map { ($0.family == .v6 ? "-6 " : "") + Op.render($0) }
        let running = state.map { $0.pid > 0 && (kill($0.pid, 0) == 0 || errno == EPERM) } ?? false
        return StatusReport(stateFile: stateFile, updatedAt: state?.updatedAt, pid: state?.pid, writerRunning: running,
                            lastSync: state?.lastSync, enis: enis, sharedRules: shared)
    }

    /// An ENI's prefixes: those the plan serves, and those its link or tables still hold rules or
    /// `local` routes of the agent's for.
    static func prefixStatus(wanted m: ManagedENI?, link: Link?, kernel: KernelState, config: PlanConfig) -> [PrefixStatus] {
        let slot = link.flatMap { config.scheme.slot(forLinkIndex: $0.index) }
        let tables = Set(slot.map { [config.scheme.subnetTable(slot: $0), config.scheme.defaultTable(slot: $0)] } ?? [])
        let rules = kernel.rules.filter { $0.proto == eniAgentProtocol && $0.source?.isHost == false && tables.contains($0.table) }
        let locals = kernel.routes.filter { $0.proto == eniAgentProtocol && $0.type == .local && $0.ifindex == link?.index && link != nil }
        func status(_ prefix: IPPrefix, wanted: Bool) -> PrefixStatus {
            let priorities = rules.filter { $0.source == prefix }.map(\.priority).sorted()
            let local = locals.contains { $0.destination == prefix }
            guard wanted, let m else { return PrefixStatus(prefix: prefix, state: .stale, rules: priorities, local: local) }
            let complete = (m.isPrimary || priorities.count >= 2) && (config.prefixes != .local || local)
            return PrefixStatus(prefix: prefix, state: complete ? .owned : .missing, rules: priorities, local: local)
        }
        let wanted = m?.prefixes ?? []
        var seen = Set(wanted)
        var result = wanted.map { status($0, wanted: true) }
        for prefix in rules.compactMap(\.source) + locals.map(\.destination) where seen.insert(prefix).inserted {
            result.append(status(prefix, wanted: false))
        }
        return result
    }

    /// The human form: one block per ENI, one line per address.
    public var text: String {
        var lines: [String] = []
        if let stateError {
            lines.append("state \(stateFile) unreadable: \(stateError); ownership below is from kernel marks only")
        } else if let updatedAt, let pid {
            lines.append("state \(stateFile), written \(updatedAt) by pid \(pid)\(writerRunning ? " (running)" : " (not running)")")
        } else {
            lines.append("state \(stateFile): none yet (eni-agent has not synced since boot)")
        }
        if let last = lastSync {
            let result = last.exitCode == 0 ? "converged" : last.exitCode == 69 ? "metadata incomplete, nothing removed" : "some operations failed"
            lines.append("last sync #\(last.id) at \(last.at): \(result), \(last.changes) changes, \(last.failures.count) failed")
            for failure in last.failures.prefix(5) { lines.append("  failed: \(failure)") }
        }
        for eni in enis {
            lines.append("")
            var head = "\(eni.ifname ?? "(no link)")  \(eni.id ?? "?")  \(eni.mac)  "
            head += eni.inMetadata ? (eni.primary ? "primary ENI" : "secondary ENI") : "no longer in metadata"
            if let up = eni.linkUp { head += up ? ", up" : ", down" }
            if let s = eni.subnetTable, let d = eni.defaultTable { head += ", tables \(s)/\(d)" }
            lines.append(head)
            for a in eni.addresses {
                let pad = String(repeating: " ", count: max(1, 34 - a.address.description.count))
                let rules = a.rules.isEmpty ? "" : "  rules \(a.rules.map(String.init).joined(separator: ", "))"
                lines.append("  \(a.address)\(pad)\(a.state.rawValue)\(rules)")
            }
            for p in eni.prefixes {
                let pad = String(repeating: " ", count: max(1, 27 - p.prefix.description.count))
                let rules = p.rules.isEmpty ? "" : "  rules \(p.rules.map(String.init).joined(separator: ", "))"
                lines.append("  prefix \(p.prefix)\(pad)\(p.state.rawValue)\(rules)\(p.local ? "  local" : "")")
            }
            for route in eni.routes { lines.append("  route \(route)") }
        }
        if !sharedRules.isEmpty {
            lines.append("")
            for rule in sharedRules {
                lines.append(rule.hasPrefix("-6 ") ? "ip -6 rule \(rule.dropFirst(3))" : "ip rule \(rule)")
            }
        }
        return lines.joined(separator: "\n")
    }
}
