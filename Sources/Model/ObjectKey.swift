// SPDX-License-Identifier: Apache-2.0
/// What a change is about, with the kernel's identity of the object: an address on a link (by
/// index, so a rename keeps it and a re-created link does not), a route in a table, a rule.
/// Interface names and `ip` renderings are not part of it. The planner counts removal grace per
/// key (docs/design.md §4.3), and the state file keeps those counts.
public enum ObjectKey: Sendable, Hashable, CustomStringConvertible {
    case address(AddressKey)
    case route(RouteKey)
    case rule(RuleKey)

    public var description: String {
        switch self {
        case .address(let key): "address \(key)"
        case .route(let key): "route \(key.destination) type \(key.type.rawValue) table \(key.table)"
        case .rule(let key):
            "rule \(key.family.rawValue) priority \(key.priority) from \(key.source.map { "\($0)" } ?? "all") table \(key.table)"
                + " action \(key.action.rawValue) suppress \(key.suppressPrefixLength.map { String($0) } ?? "-")"
                + (key.hasOtherSelectors ? " with other selectors" : "")
        }
    }
}

extension Op {
    /// The object the op changes; nil for a link bring-up.
    public var objectKey: ObjectKey? {
        switch self {
        case .setLinkUp: nil
        case .addAddress(let a), .removeAddress(let a): .address(a.key)
        case .addRoute(let r, _), .removeRoute(let r): .route(r.key)
        case .addRule(let r), .removeRule(let r): .rule(r.key)
        }
    }
}

/// In JSON, one member naming the kind: `{"address": {"ifindex": 3, "address": "192.168.1.212"}}`.
extension ObjectKey: Codable {
    private enum Kind: String, CodingKey {
        case address, route, rule
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Kind.self)
        guard container.allKeys.count == 1, let kind = container.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "an object key names exactly one of address, route, rule"))
        }
        switch kind {
        case .address: self = .address(try container.decode(AddressKey.self, forKey: kind))
        case .route: self = .route(try container.decode(RouteKey.self, forKey: kind))
        case .rule: self = .rule(try container.decode(RuleKey.self, forKey: kind))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Kind.self)
        switch self {
        case .address(let key): try container.encode(key, forKey: .address)
        case .route(let key): try container.encode(key, forKey: .route)
        case .rule(let key): try container.encode(key, forKey: .rule)
        }
    }
}
