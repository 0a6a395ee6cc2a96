// SPDX-License-Identifier: Apache-2.0
import Logging
import Model
import Reconcile

/// One log line per change, at notice level, with the journald fields operators filter on:
/// `journalctl -u eni-agent ACTION=remove IFNAME=eth1`.
enum ChangeLog {
    static func log(_ planned: PlannedOp, _ outcome: OpOutcome, to logger: Logger) {
        var fields: Logger.Metadata = ["action": "\(action(planned.op))", "op": "\(planned.op)"]
        if let eni = planned.eni {
            if let id = eni.id { fields["eni_id"] = "\(id)" }
            fields["eni_mac"] = "\(eni.mac)"
            if let name = eni.ifname { fields["ifname"] = "\(name)" }
        }
        if let address = address(planned.op) { fields["address"] = "\(address)" }
        if let prefix = planned.prefix ?? prefix(planned.op) { fields["prefix"] = "\(prefix)" }
        let owner = planned.eni.map { " (\($0.id ?? $0.mac.description))" } ?? ""
        switch outcome {
        case .applied:
            logger.notice("\(sentence(planned.op))\(owner)\(planned.op.isRemoval ? ": \(planned.reason)" : "")", metadata: fields)
        case .alreadyInPlace:
            logger.debug("already in place: \(planned.op)", metadata: fields)
        case .failed(let errno, let message):
            fields["errno"] = "\(errno)"
            logger.error("failed to \(sentence(planned.op, infinitive: true))\(owner): \(message) (errno \(errno)); the next sync retries",
                         metadata: fields)
        case .unknown(let errno, let message):
            fields["errno"] = "\(errno)"
            logger.warning("no answer to \(sentence(planned.op, infinitive: true))\(owner): \(message) (errno \(errno)); the next sync reads the kernel again",
                           metadata: fields)
        }
    }

    static func action(_ op: Op) -> String {
        switch op {
        case .setLinkUp: "link-up"
        case .addAddress, .addRule, .addRoute(_, false): "add"
        case .addRoute(_, true): "replace"
        case .removeAddress, .removeRoute, .removeRule: "remove"
        }
    }

    static func address(_ op: Op) -> IPAddress? {
        switch op {
        case .addAddress(let a), .removeAddress(let a): a.address
        case .addRule(let r), .removeRule(let r): r.source?.address
        case .addRoute(let r, _), .removeRoute(let r): r.gateway
        case .setLinkUp: nil
        }
    }

    /// The delegated prefix a rule or `local` route is about, seen in the op itself (a removal's
    /// prefix may no longer be in metadata): a rule from more than one address, a local route
    /// of the agent's.
    static func prefix(_ op: Op) -> IPPrefix? {
        switch op {
        case .addRule(let r), .removeRule(let r): r.source.flatMap { $0.isHost ? nil : $0 }
        case .addRoute(let r, _), .removeRoute(let r): r.type == .local ? r.destination : nil
        case .setLinkUp, .addAddress, .removeAddress: nil
        }
    }

    /// "added 192.168.1.202/24 on eth1", or with `infinitive` "add 192.168.1.202/24 on eth1".
    static func sentence(_ op: Op, infinitive: Bool = false) -> String {
        func verb(_ past: String, _ base: String) -> String { infinitive ? base : past }
        switch op {
        case .setLinkUp(_, let name): return "\(verb("brought", "bring")) up \(name)"
        case .addAddress(let a): return "\(verb("added", "add")) \(a.prefix) on \(a.ifname)"
        case .removeAddress(let a): return "\(verb("removed", "remove")) \(a.prefix) from \(a.ifname)"
        case .addRoute(let r, let replace):
            return replace ? "\(verb("replaced", "replace")) route \(Op.render(r))" : "\(verb("added", "add")) route \(Op.render(r))"
        case .removeRoute(let r): return "\(verb("removed", "remove")) route \(Op.render(r))"
        case .addRule(let r): return "\(verb("added", "add")) rule \(Op.render(r))"
        case .removeRule(let r): return "\(verb("removed", "remove")) rule \(Op.render(r))"
        }
    }
}
