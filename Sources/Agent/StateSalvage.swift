// SPDX-License-Identifier: Apache-2.0
import FoundationEssentials
import Metadata
import Model
import Reconcile
import Systemd

/// What a state file read gave: the state to use, and what was wrong with the file (empty when
/// nothing was). `state` holds only what validated (docs/design.md §4.8).
public struct StateFileContents: Sendable {
    public var state: PersistedState
    public var problems: [String]
}

/// Reads a state file without trusting it (docs/design.md §4.8). Every value is checked against
/// what the agent itself could have written; each ownership record and each removal count is
/// kept or dropped on its own, so a damaged record costs only itself; the cached metadata read
/// and the last sync are kept whole or dropped. The file is JSON written by this agent (through a
/// renamed temporary file, so never torn): text that is not JSON at all yields nothing.
public enum StateSalvage {
    /// Records kept at most: what the metadata limits allow (the addresses of delegated prefixes
    /// included), with room for each address's two rules and an ENI's routes among the removal
    /// counts.
    public static let maxAddresses = MetadataLimits.enis
        * (MetadataLimits.ipv4sPerENI + MetadataLimits.ipv6sPerENI + PrefixMode.maxAddressesPerENI)
    static let maxRemovalCounts = 4 * maxAddresses
    /// Sync ids stay exact in every JSON reader (jq's numbers are doubles).
    static let maxSyncID = 1 << 53

    /// What a file that yields nothing gives: no records, no cached read, no last sync.
    static let nothing = PersistedState(updatedAt: "unknown", pid: 0, ownership: Ownership(), network: nil, lastSync: nil)

    public static func salvage(_ text: String) -> StateFileContents {
        var problems: [String] = []
        let raw: RawState
        do {
            raw = try JSONDecoder().decode(RawState.self, from: Data(text.utf8))
        } catch {
            problems.append("not a JSON object: \(describe(error))")
            raw = RawState()
        }
        /// `optional`: the encoder leaves the field out when it has no value.
        func take<T>(_ field: String, _ salvaged: Salvaged<T>?, optional: Bool = false, _ check: (T) -> String? = { _ in nil }) -> T? {
            guard let salvaged else {
                if raw.decoded && !optional { problems.append("\(field) missing") }
                return nil
            }
            guard let value = salvaged.value else {
                problems.append("\(field): \(salvaged.problem ?? "unreadable")")
                return nil
            }
            if let why = check(value) {
                problems.append("\(field): \(why)")
                return nil
            }
            return value
        }

        if let version = take("version", raw.version), version != PersistedState.currentVersion {
            problems.append("version \(version), this agent writes \(PersistedState.currentVersion): what validates is used")
        }
        let updatedAt = take("updatedAt", raw.updatedAt, timestampProblem) ?? "unknown"
        let pid = take("pid", raw.pid) { $0 >= 1 ? nil : "\($0) is not a process id" } ?? 0
        let ownership = salvageOwnership(take("ownership", raw.ownership), &problems)
        let network = take("network", raw.network, optional: true, networkProblem)
        let lastSync = take("lastSync", raw.lastSync, optional: true, syncProblem)
        let state = PersistedState(updatedAt: updatedAt, pid: pid, ownership: ownership, network: network, lastSync: lastSync)
        return StateFileContents(state: state, problems: problems.map { ShownText.of($0, limit: 400) })
    }

    private static func salvageOwnership(_ raw: RawOwnership?, _ problems: inout [String]) -> Ownership {
        guard let raw else { return Ownership() }
        var ownership = Ownership()
        var seen = Set<AddressKey>()
        for (i, record) in (raw.addresses?.value ?? []).enumerated() {
            let field = "ownership.addresses[\(i)]"
            guard let address = record.value else {
                problems.append("\(field): \(record.problem ?? "unreadable"): dropped")
                continue
            }
            if let why = ownedAddressProblem(address) {
                problems.append("\(field) \(address.prefix): \(why): dropped")
            } else if ownership.addresses.count >= maxAddresses {
                problems.append("\(field) \(address.prefix): more than \(maxAddresses) records: dropped")
            } else if !seen.insert(AddressKey(ifindex: address.ifindex, address: address.address)).inserted {
                problems.append("\(field) \(address.prefix): recorded twice: dropped")
            } else {
                ownership.addresses.append(address)
            }
        }
        if let problem = raw.addresses?.problem { problems.append("ownership.addresses: \(problem)") }
        for (i, entry) in (raw.removalCounts?.value ?? []).enumerated() {
            let field = "ownership.removalCounts[\(i)]"
            guard let count = entry.value else {
                problems.append("\(field): \(entry.problem ?? "unreadable"): dropped (that removal waits the grace again)")
                continue
            }
            if !AgentConfig.removalCountRange.contains(count.count) {
                problems.append("\(field) \(count.object): count \(count.count) outside \(AgentConfig.removalCountRange): dropped (that removal waits the grace again)")
            } else if ownership.pendingRemovals.count >= maxRemovalCounts {
                problems.append("\(field) \(count.object): more than \(maxRemovalCounts) counts: dropped")
            } else if ownership.pendingRemovals.updateValue(count.count, forKey: count.object) != nil {
                problems.append("\(field) \(count.object): counted twice: the last count kept")
            }
        }
        if let problem = raw.removalCounts?.problem { problems.append("ownership.removalCounts: \(problem)") }
        ownership.addresses.sort { ($0.ifindex, $0.address) < ($1.ifindex, $1.address) }
        return ownership
    }

    static func ownedAddressProblem(_ address: OwnedAddress) -> String? {
        if address.ifindex < 1 { return "link index \(address.ifindex)" }
        return address.address.unusableReason(as: .host)
    }

    /// The metadata read the agent cached: no larger than the metadata limits let a read be,
    /// and its identifiers as the parser accepts them.
    static func networkProblem(_ network: InstanceNetwork) -> String? {
        if network.enis.count > MetadataLimits.enis { return "\(network.enis.count) ENIs, more than \(MetadataLimits.enis)" }
        if Set(network.enis.map(\.mac)).count != network.enis.count { return "an ENI listed twice" }
        for text in [network.instanceID, network.regionID, network.zoneID].compactMap({ $0 }) + network.enis.compactMap(\.id) {
            if (try? MetadataParser.identifier(text)) != text { return "identifier \(MetadataParser.truncated(text)) malformed" }
        }
        for eni in network.enis {
            if eni.privateIPv4s.count > MetadataLimits.ipv4sPerENI || eni.ipv6s.count > MetadataLimits.ipv6sPerENI {
                return "ENI \(eni.mac) holds more addresses than metadata may list"
            }
            if eni.ipv4Prefixes.count > MetadataLimits.prefixesPerENI || eni.ipv6Prefixes.count > MetadataLimits.prefixesPerENI {
                return "ENI \(eni.mac) holds more prefixes than metadata may list"
            }
            if case .incomplete(let reason) = eni.completeness, let why = textProblem(reason) { return "ENI \(eni.mac): \(why)" }
        }
        return nil
    }

    static func syncProblem(_ sync: SyncSummary) -> String? {
        if !(0...maxSyncID).contains(sync.id) { return "sync id \(sync.id) outside 0...\(maxSyncID)" }
        if sync.changes < 0 { return "\(sync.changes) changes" }
        if !sync.durationMilliseconds.isFinite || sync.durationMilliseconds < 0 { return "duration \(sync.durationMilliseconds) ms" }
        if !(0...255).contains(sync.exitCode) { return "exit code \(sync.exitCode)" }
        if let why = timestampProblem(sync.at) { return why }
        let reasons: [String]
        switch sync.metadata {
        case .complete, .cached: reasons = []
        case .incomplete(let list): reasons = list
        case .unavailable(let reason): reasons = [reason]
        }
        for text in [sync.summary] + sync.failures + reasons {
            if let why = textProblem(text) { return why }
        }
        return nil
    }

    /// RFC 3339 as `WallClock` writes it: digits, `-`, `:`, `.`, `T`, `Z`.
    static func timestampProblem(_ text: String) -> String? {
        let allowed = Set("0123456789-:.TZ".unicodeScalars)
        guard (1...40).contains(text.utf8.count), text.unicodeScalars.allSatisfy(allowed.contains) else {
            return "\(MetadataParser.truncated(text)) is not a timestamp"
        }
        return nil
    }

    /// Text that `status` prints: no control characters (a terminal escape sequence), no novel.
    static func textProblem(_ text: String) -> String? {
        if text.utf8.count > 65536 { return "a text of \(text.utf8.count) bytes" }
        if text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) { return "a text with control characters" }
        return nil
    }

    static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .dataCorrupted(let context), .keyNotFound(_, let context), .typeMismatch(_, let context), .valueNotFound(_, let context):
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return (path.isEmpty ? "" : "at \(path.drop { $0 == "." }): ") + MetadataParser.truncated(context.debugDescription)
        default:
            return MetadataParser.truncated("\(error)")
        }
    }
}

/// A value decoded, or why not: one element that does not decode leaves its neighbours be.
struct Salvaged<T: Decodable>: Decodable {
    var value: T?
    var problem: String?

    init(from decoder: any Decoder) {
        do {
            value = try T(from: decoder)
        } catch {
            problem = StateSalvage.describe(error)
        }
    }
}

/// The state file's layout as `PersistedState` and `Ownership` encode it, every part salvaged on
/// its own. `StateSalvageTests` holds the two together: what the encoder writes, this reads whole.
private struct RawState: Decodable {
    var decoded = false
    var version: Salvaged<Int>?
    var updatedAt: Salvaged<String>?
    var pid: Salvaged<Int32>?
    var ownership: Salvaged<RawOwnership>?
    var network: Salvaged<InstanceNetwork>?
    var lastSync: Salvaged<SyncSummary>?

    init() {}

    private enum CodingKeys: String, CodingKey {
        case version, updatedAt, pid, ownership, network, lastSync
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        decoded = true
        version = try c.decodeIfPresent(Salvaged<Int>.self, forKey: .version)
        updatedAt = try c.decodeIfPresent(Salvaged<String>.self, forKey: .updatedAt)
        pid = try c.decodeIfPresent(Salvaged<Int32>.self, forKey: .pid)
        ownership = try c.decodeIfPresent(Salvaged<RawOwnership>.self, forKey: .ownership)
        network = try c.decodeIfPresent(Salvaged<InstanceNetwork>.self, forKey: .network)
        lastSync = try c.decodeIfPresent(Salvaged<SyncSummary>.self, forKey: .lastSync)
    }
}

private struct RawOwnership: Decodable {
    var addresses: Salvaged<[Salvaged<OwnedAddress>]>?
    var removalCounts: Salvaged<[Salvaged<RawCount>]>?
}

private struct RawCount: Decodable {
    var object: ObjectKey
    var count: Int
}
