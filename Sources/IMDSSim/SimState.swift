// SPDX-License-Identifier: Apache-2.0
// The state document the simulator serves (imds-contract.md, "State document"). Every value is a
// plain string rendered verbatim, so tests can serve malformed values to the client on purpose.

/// How the simulated service treats the session token (docs/metadata.md, "Token").
public enum TokenMode: String, Codable, Sendable, Hashable, CaseIterable {
    /// Token-free GETs work; a GET with an unknown or expired token is still 401.
    case optional
    /// A GET without a valid token is 403 (`HttpTokens=required`).
    case required
    /// `PUT /latest/api/token` is 404, like an endpoint that predates tokens.
    case unsupported
}

/// How `ipv4-prefixes` and `ipv6-prefixes` list several entries: Alibaba does not document it,
/// so the simulator serves each form the client must take (docs/metadata.md "Keys").
public enum PrefixListFormat: String, Codable, Sendable, Hashable, CaseIterable {
    /// One per line, LF, no trailing newline.
    case lines
    /// One per line, CRLF.
    case crlf
    /// `["a/28","b/28"]`.
    case json
    /// `[a/28,b/28]`.
    case bracketed
    /// `a/28,b/28`.
    case comma
    /// `a/28 b/28`.
    case space
}

/// One ENI of the document. Every field but `mac` is optional: an absent field is a 404 for its
/// key, while an empty array renders as an empty list.
public struct SimENI: Codable, Sendable, Hashable {
    public var mac: String
    /// The primary ENI provides the instance-level `mac`, `private-ipv4` and `vswitch-id` keys.
    public var primary: Bool
    public var id: String?
    public var primaryIP: String?
    public var privateIPv4s: [String]?
    public var netmask: String?
    public var gateway: String?
    public var vswitchCIDR: String?
    public var vpcCIDR: String?
    public var vswitchID: String?
    public var vpcID: String?
    public var ipv6s: [String]?
    public var ipv6Gateway: String?
    public var vswitchIPv6CIDR: String?
    public var vpcIPv6CIDRs: [String]?
    public var ipv4Prefixes: [String]?
    public var ipv6Prefixes: [String]?

    public init(
        mac: String, primary: Bool = false, id: String? = nil, primaryIP: String? = nil,
        privateIPv4s: [String]? = nil, netmask: String? = nil, gateway: String? = nil,
        vswitchCIDR: String? = nil, vpcCIDR: String? = nil, vswitchID: String? = nil,
        vpcID: String? = nil, ipv6s: [String]? = nil, ipv6Gateway: String? = nil,
        vswitchIPv6CIDR: String? = nil, vpcIPv6CIDRs: [String]? = nil,
        ipv4Prefixes: [String]? = nil, ipv6Prefixes: [String]? = nil
    ) {
        self.mac = mac
        self.primary = primary
        self.id = id
        self.primaryIP = primaryIP
        self.privateIPv4s = privateIPv4s
        self.netmask = netmask
        self.gateway = gateway
        self.vswitchCIDR = vswitchCIDR
        self.vpcCIDR = vpcCIDR
        self.vswitchID = vswitchID
        self.vpcID = vpcID
        self.ipv6s = ipv6s
        self.ipv6Gateway = ipv6Gateway
        self.vswitchIPv6CIDR = vswitchIPv6CIDR
        self.vpcIPv6CIDRs = vpcIPv6CIDRs
        self.ipv4Prefixes = ipv4Prefixes
        self.ipv6Prefixes = ipv6Prefixes
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case mac, primary, id
        case primaryIP = "primaryIp"
        case privateIPv4s = "privateIpv4s"
        case netmask, gateway
        case vswitchCIDR = "vswitchCidr"
        case vpcCIDR = "vpcCidr"
        case vswitchID = "vswitchId"
        case vpcID = "vpcId"
        case ipv6s, ipv6Gateway
        case vswitchIPv6CIDR = "vswitchIpv6Cidr"
        case vpcIPv6CIDRs = "vpcIpv6Cidrs"
        case ipv4Prefixes, ipv6Prefixes
    }

    /// Lets `PUT /_sim/enis/<mac>` accept a body without `mac`: the path names it.
    static let defaultMACKey = CodingUserInfoKey(rawValue: "imds-sim.default-mac")!

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let mac = try c.decodeIfPresent(String.self, forKey: .mac) {
            self.mac = mac
        } else if let mac = decoder.userInfo[Self.defaultMACKey] as? String {
            self.mac = mac
        } else {
            throw DecodingError.keyNotFound(
                CodingKeys.mac, .init(codingPath: decoder.codingPath, debugDescription: "an ENI needs a mac"))
        }
        primary = try c.decodeIfPresent(Bool.self, forKey: .primary) ?? false
        id = try c.decodeIfPresent(String.self, forKey: .id)
        primaryIP = try c.decodeIfPresent(String.self, forKey: .primaryIP)
        privateIPv4s = try c.decodeIfPresent([String].self, forKey: .privateIPv4s)
        netmask = try c.decodeIfPresent(String.self, forKey: .netmask)
        gateway = try c.decodeIfPresent(String.self, forKey: .gateway)
        vswitchCIDR = try c.decodeIfPresent(String.self, forKey: .vswitchCIDR)
        vpcCIDR = try c.decodeIfPresent(String.self, forKey: .vpcCIDR)
        vswitchID = try c.decodeIfPresent(String.self, forKey: .vswitchID)
        vpcID = try c.decodeIfPresent(String.self, forKey: .vpcID)
        ipv6s = try c.decodeIfPresent([String].self, forKey: .ipv6s)
        ipv6Gateway = try c.decodeIfPresent(String.self, forKey: .ipv6Gateway)
        vswitchIPv6CIDR = try c.decodeIfPresent(String.self, forKey: .vswitchIPv6CIDR)
        vpcIPv6CIDRs = try c.decodeIfPresent([String].self, forKey: .vpcIPv6CIDRs)
        ipv4Prefixes = try c.decodeIfPresent([String].self, forKey: .ipv4Prefixes)
        ipv6Prefixes = try c.decodeIfPresent([String].self, forKey: .ipv6Prefixes)
    }
}

/// The whole document: instance-level values, the token mode and the ENIs in listing order.
public struct SimState: Codable, Sendable, Hashable {
    public var instanceID: String?
    public var regionID: String?
    public var zoneID: String?
    public var vpcID: String?
    public var tokenMode: TokenMode
    /// How the prefix keys list several entries (a single one is the same in every form but
    /// `json` and `bracketed`).
    public var prefixListFormat: PrefixListFormat
    public var enis: [SimENI]

    public init(
        instanceID: String? = nil, regionID: String? = nil, zoneID: String? = nil,
        vpcID: String? = nil, tokenMode: TokenMode = .optional, prefixListFormat: PrefixListFormat = .lines,
        enis: [SimENI] = []
    ) {
        self.instanceID = instanceID
        self.regionID = regionID
        self.zoneID = zoneID
        self.vpcID = vpcID
        self.tokenMode = tokenMode
        self.prefixListFormat = prefixListFormat
        self.enis = enis
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case instanceID = "instanceId"
        case regionID = "regionId"
        case zoneID = "zoneId"
        case vpcID = "vpcId"
        case tokenMode, prefixListFormat, enis
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        instanceID = try c.decodeIfPresent(String.self, forKey: .instanceID)
        regionID = try c.decodeIfPresent(String.self, forKey: .regionID)
        zoneID = try c.decodeIfPresent(String.self, forKey: .zoneID)
        vpcID = try c.decodeIfPresent(String.self, forKey: .vpcID)
        tokenMode = try c.decodeIfPresent(TokenMode.self, forKey: .tokenMode) ?? .optional
        prefixListFormat = try c.decodeIfPresent(PrefixListFormat.self, forKey: .prefixListFormat) ?? .lines
        enis = try c.decodeIfPresent([SimENI].self, forKey: .enis) ?? []
    }

    /// The ENI whose MAC matches, ignoring case (the first one if the document repeats it).
    public func eni(mac: String) -> SimENI? {
        let wanted = mac.lowercased()
        return enis.first { $0.mac.lowercased() == wanted }
    }

    /// The ENI that provides the instance-level keys (the first one marked primary).
    public var primaryENI: SimENI? { enis.first { $0.primary } }

    /// Inserts the ENI, or replaces the one with the same MAC (ignoring case) in place so the
    /// listing order stays stable.
    public mutating func upsert(_ eni: SimENI) {
        let wanted = eni.mac.lowercased()
        if let index = enis.firstIndex(where: { $0.mac.lowercased() == wanted }) {
            enis[index] = eni
        } else {
            enis.append(eni)
        }
    }

    /// Adds prefixes to and removes them from the ENI with this MAC (ignoring case), each to the
    /// list of its family (a `:` makes it IPv6), keeping the others in order; false when there
    /// is no such ENI.
    @discardableResult
    public mutating func changePrefixes(mac: String, add: [String], remove: [String]) -> Bool {
        let wanted = mac.lowercased()
        guard let i = enis.firstIndex(where: { $0.mac.lowercased() == wanted }) else { return false }
        var v4 = enis[i].ipv4Prefixes ?? []
        var v6 = enis[i].ipv6Prefixes ?? []
        v4.removeAll(where: remove.contains)
        v6.removeAll(where: remove.contains)
        for prefix in add {
            if prefix.contains(":") {
                if !v6.contains(prefix) { v6.append(prefix) }
            } else if !v4.contains(prefix) {
                v4.append(prefix)
            }
        }
        enis[i].ipv4Prefixes = v4
        enis[i].ipv6Prefixes = v6
        return true
    }

    /// Removes the ENI with this MAC (ignoring case); false when there was none.
    @discardableResult
    public mutating func remove(mac: String) -> Bool {
        let wanted = mac.lowercased()
        let before = enis.count
        enis.removeAll { $0.mac.lowercased() == wanted }
        return enis.count != before
    }

    /// Rejects what would make lookups ambiguous. The in-process setters skip this on purpose so
    /// a test can still serve an odd document; the admin API and the CLI apply it.
    public func validate() throws(SimError) {
        var seen = Set<String>()
        for eni in enis {
            let mac = eni.mac.lowercased()
            if mac.isEmpty || mac.contains("/") {
                throw SimError("ENI mac \"\(eni.mac)\" is empty or contains \"/\"")
            }
            if !seen.insert(mac).inserted {
                throw SimError("ENI mac \(eni.mac) appears more than once")
            }
        }
    }
}

/// Why a document, fault list or request was refused; the message is shown to the user as is.
public struct SimError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A typo in a hand-written state file must fail loudly rather than silently serve a 404.
func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(_ decoder: any Decoder, _: Keys.Type) throws {
    let container = try decoder.container(keyedBy: AnyKey.self)
    let known = Keys.allCases.map(\.stringValue)
    if let unknown = container.allKeys.map(\.stringValue).filter({ !known.contains($0) }).sorted().first {
        throw DecodingError.dataCorrupted(
            .init(
                codingPath: decoder.codingPath,
                debugDescription: "unknown key \"\(unknown)\" (known: \(known.joined(separator: ", ")))"
            ))
    }
}

struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
