import Foundation
import Model
import Netlink
import Synchronization
import Testing
import TestSupport

/// A link of the test bed: what ops and `ip` need to name it.
struct TestLink: Sendable {
    var index: Int32
    var name: String
}

extension NetworkNamespace {
    /// A veth pair `name` <-> `peer` inside this namespace with chosen MACs; both ends up (so
    /// that `name` has carrier) unless `up` is false.
    @discardableResult
    func link(_ name: String, peer: String, mac: String? = nil, peerMac: String? = nil, up: Bool = true) throws -> TestLink {
        try addVeth(name: name, mac: mac, peer: peer, peerMac: peerMac)
        if up {
            try ip("link", "set", peer, "up")
            try ip("link", "set", name, "up")
        }
        return TestLink(index: try ifindex(name), name: name)
    }

    func ifindex(_ name: String) throws -> Int32 {
        guard let index = try ipJSON("link", "show", "dev", name).first?["ifindex"] as? Int else {
            throw TestFailure("no ifindex for \(name)")
        }
        return Int32(index)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

// MARK: - Values

func prefix(_ text: String) -> IPPrefix { IPPrefix(text)! }
func ip(_ text: String) -> IPAddress { IPAddress(text)! }

func address(_ text: String, on link: TestLink, flags: AddressFlags = [], proto: UInt8? = eniAgentProtocol) -> Address {
    Address(ifindex: link.index, ifname: link.name, prefix: prefix(text), flags: flags, proto: proto)
}

func route(_ destination: String, table: UInt32, via gateway: String? = nil, on link: TestLink?,
           source: String? = nil, scope: RouteScope = .universe, metric: UInt32? = nil, onlink: Bool = false) -> Route {
    let family: IPFamily = destination.contains(":") || (gateway?.contains(":") ?? false) ? .v6 : .v4
    let dst = destination == "default" ? IPPrefix.defaultRoute(family) : prefix(destination)
    return Route(table: table, destination: dst, gateway: gateway.map(ip), ifindex: link?.index, ifname: link?.name,
                 preferredSource: source.map(ip), scope: scope, metric: metric, onlink: onlink)
}

func rule(_ family: IPFamily, priority: UInt32, from source: String?, table: UInt32, suppress: UInt32? = nil) -> Rule {
    Rule(family: family, priority: priority, source: source.map { IPPrefix($0) ?? IPPrefix.host(ip($0)) }, table: table,
         suppressPrefixLength: suppress)
}

extension KernelState {
    /// The address with this local address on this link, as the kernel reports it.
    func address(_ a: Address) -> Address? { addresses.first { $0.key == a.key } }

    /// A route with the same key and forwarding attributes (and protocol) as `r`.
    func route(matching r: Route) -> Route? { routes.first { $0.matches(r) && $0.proto == r.proto } }

    func rule(matching r: Rule) -> Rule? { rules.first { $0.key == r.key && $0.proto == r.proto } }
}

extension OpOutcome {
    var errno: Int32? {
        if case .failed(let errno, _) = self { return errno }
        return nil
    }

    var message: String? {
        if case .failed(_, let message) = self { return message }
        return nil
    }
}

/// The outcomes that are not `expected`, rendered for a test message.
func unexpected(_ results: [OpResult], _ expected: OpOutcome) -> [String] {
    results.filter { $0.outcome != expected }.map { "\($0.op): \($0.outcome)" }
}

// MARK: - Process-wide figures

/// VmRSS of this process in KiB.
func residentKiB() -> Int {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
}

func threadCount() -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? -1
}

/// NETLINK_ROUTE sockets that exist in the namespace (from its /proc/net/netlink): the sockets
/// of this process there are the ones the Netlink module opened.
func routeSockets(in ns: NetworkNamespace) throws -> Int {
    let text = try ns.exec(["cat", "/proc/net/netlink"]).stdout
    // sk Eth Pid Groups ...: Eth 0 is NETLINK_ROUTE; the kernel's own socket has Pid 0.
    return text.split(separator: "\n").dropFirst().filter { line in
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        return fields.count > 2 && fields[1] == "0" && fields[2] != "0"
    }.count
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

// MARK: - Events

/// Everything a `NetlinkEvents` stream delivered, collected by a task, and whether it ended.
final class EventLog: Sendable {
    private let state = Mutex<(events: [NetlinkEvent], ended: ContinuousClock.Instant?)>(([], nil))

    var events: [NetlinkEvent] { state.withLock { $0.events } }
    var endedAt: ContinuousClock.Instant? { state.withLock { $0.ended } }

    /// Iterates `events` until it ends; the returned task can be cancelled.
    func collect(_ events: NetlinkEvents) -> Task<Void, Never> {
        Task {
            for await event in events {
                state.withLock { $0.events.append(event) }
            }
            state.withLock { $0.ended = .now }
        }
    }

    func contains(_ predicate: (NetlinkEvent) -> Bool) -> Bool { events.contains(where: predicate) }
}
