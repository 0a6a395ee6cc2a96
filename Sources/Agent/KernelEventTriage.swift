// SPDX-License-Identifier: Apache-2.0
import Model
import Netlink
import Reconcile

extension WakeReason {
    /// What a kernel event asks of the loop, if anything (docs/design.md §5). Only what can
    /// concern an ENI wakes it: a container runtime's veths, bridges and routes come and go
    /// without a metadata read or a re-plan.
    ///
    /// - A link that could be an ENI (`ENILinks.couldBeENI`) added or removed, or changed in
    ///   what makes it one (MAC, name, master, kind) before or after the change, and lost events:
    ///   a metadata read, which the schedule rations.
    /// - Another change of such a link (up, carrier, MTU, `promote_secondaries`), and the removal
    ///   of an address, route or rule that may be the agent's: a re-plan from the cached read.
    init?(_ event: NetlinkEvent) {
        switch event {
        case .linkAdded(let link), .linkRemoved(let link):
            guard ENILinks.couldBeENI(link) else { return nil }
            self = .linkEvent
        case .linkChanged(let link, let changes):
            if !changes.isDisjoint(with: .identity), ENILinks.couldBeENI(link) || Self.couldHaveBeenENI(link, before: changes) {
                self = .linkEvent
            } else if ENILinks.couldBeENI(link) {
                self = .kernelEvent
            } else {
                return nil
            }
        case .overflow:
            self = .linkEvent
        case .addressRemoved(let address):
            // Marked by someone else (a kernel-made link-local address, a container's): not ours.
            guard address.proto == nil || address.proto == eniAgentProtocol else { return nil }
            self = .kernelEvent
        case .routeRemoved(let route):
            guard route.proto == eniAgentProtocol else { return nil }
            self = .kernelEvent
        case .ruleRemoved(let rule):
            guard rule.proto == eniAgentProtocol else { return nil }
            self = .kernelEvent
        case .addressAdded, .routeAdded, .ruleAdded:
            return nil
        }
    }

    /// Whether `link` could have been an ENI before `changes`: a field that did not change had
    /// its present value, one that changed may have had any (an ENI's among them).
    private static func couldHaveBeenENI(_ link: Link, before changes: LinkChanges) -> Bool {
        ENILinks.couldBeENI(mac: changes.contains(.mac) ? anyNICMAC : link.mac,
                            kind: changes.contains(.kind) ? nil : link.kind,
                            master: changes.contains(.master) ? nil : link.master)
    }

    /// A MAC a NIC could have, standing for "any" above.
    private static let anyNICMAC = MACAddress(bytes: [0x00, 0x16, 0x3e, 0, 0, 0])!
}
