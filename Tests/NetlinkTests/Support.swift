// SPDX-License-Identifier: Apache-2.0
import Foundation
import Model
import Netlink
import Synchronization
import Testing
import TestSupport

/// Every suite of this target, run one test at a time. Each test makes a namespace or more,
/// runs `ip` and has the kernel do real work: all thirty at once keep both cores of a 2-core
/// runner busy for seconds, and the other targets' timed tests (1 s tolerances, 5 s read
/// budgets) running meanwhile failed. One at a time the target takes about as long in all.
@Suite(.serialized) enum NetlinkSuite {}

/// A link of the test bed: what ops and `ip` need to name it.
struct TestLink: Sendable {
    var index: Int32
    var name: String
}

/// A namespace of the test's own, made off the cooperative pool (see `blocking`).
func makeNamespace(_ prefix: String) async throws -> NetworkNamespace {
    try await blocking { try NetworkNamespace.create(prefix: prefix) }
}

/// Every process these tests start runs through here: `ip` and friends block their thread until
/// they exit, and Swift Testing runs all suites' tests on a pool of one thread per core.
/// Blocking those threads for seconds starves other suites' timed tests: `Spawn` on a thread of
/// its own (`blocking`).
extension NetworkNamespace {
    /// `ip -n <name> args...`; throws with stderr on failure.
    @discardableResult
    func run(_ args: String...) async throws -> String { try await run(args) }

    @discardableResult
    func run(_ args: [String]) async throws -> String {
        let argv = ["ip", "-n", name] + args
        return try await blocking { try Spawn.check(argv) }
    }

    /// `ip -n <name> [-6] -batch -` with these lines.
    func batch(_ lines: [String], family: String? = nil) async throws {
        let argv = ["ip", "-n", name] + (family.map { [$0] } ?? []) + ["-batch", "-"]
        let input = lines.joined(separator: "\n") + "\n"
        try await blocking { _ = try Spawn.check(argv, input: input) }
    }

    /// `ip -n <name> -j args...` parsed.
    func json(_ args: String...) async throws -> [[String: Any]] {
        let argv = ["ip", "-n", name, "-j"] + args
        return try await blocking {
            let text = try Spawn.check(argv)
            guard !text.isEmpty else { return [] }
            return try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] ?? []
        }
    }

    /// A veth pair `name` <-> `peer` inside this namespace with chosen MACs; both ends up (so
    /// that `name` has carrier) unless `up` is false.
    @discardableResult
    func link(_ name: String, peer: String, mac: String? = nil, peerMac: String? = nil, up: Bool = true) async throws -> TestLink {
        var lines = ["link add \(name)\(mac.map { " address \($0)" } ?? "") type veth peer name \(peer)\(peerMac.map { " address \($0)" } ?? "")"]
        if up { lines += ["link set \(peer) up", "link set \(name) up"] }
        try await batch(lines)
        return TestLink(index: try await ifindex(name), name: name)
    }

    func ifindex(_ name: String) async throws -> Int32 {
        guard let index = try await json("link", "show", "dev", name).first?["ifindex"] as? Int else {
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

/// Runs blocking work (processes, waits) on a thread of its own, not on one of the few threads
/// Swift concurrency (and, on Linux, Dispatch's global queues) runs on, which the other suites
/// running meanwhile need.
func blocking<T>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    let box = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Handed<T>, any Error>) in
        Thread { continuation.resume(with: Result { Handed(value: try body()) }) }.start()
    }
    return box.value
}

/// A value handed from the thread that made it to the one that waited for it, once.
struct Handed<T>: @unchecked Sendable {
    var value: T
}

/// The memory test's child process: the probe runs only where this variable is set.
enum MemoryProbe {
    static let variable = "ENI_AGENT_NETLINK_MEMORY_PROBE"
    static var enabled: Bool { ProcessInfo.processInfo.environment[variable] == "1" }
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
func routeSockets(in ns: NetworkNamespace) async throws -> Int {
    let argv = ["ip", "netns", "exec", ns.name, "cat", "/proc/net/netlink"]
    let text = try await blocking { try Spawn.check(argv) }
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
