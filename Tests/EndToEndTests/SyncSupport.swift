// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
import TestSupport

/// Helpers the `--sync` end-to-end suites share: each `--sync` is its own process, exactly as an
/// operator or the oneshot unit runs it, so ownership and removal counters travel through the
/// lab's state file between runs.
extension LabFixture {
    static let eth1MAC = LabFixture.mac(1)
    static let eth2MAC = LabFixture.mac(2)
    static let macsPath = "/latest/meta-data/network/interfaces/macs/"

    /// `eni-agent args...` with the lab configuration.
    func cli(_ args: [String], environment: [String: String] = [:]) async throws -> CommandResult {
        try agent(args, environment: environment)
    }

    /// `eni-agent --sync args...` with the lab configuration.
    @discardableResult
    func sync(_ args: [String] = [], environment: [String: String] = [:]) async throws -> CommandResult {
        try await cli(["--sync"] + args, environment: environment)
    }

    /// Runs `eni-agent` in the ecs namespace with exactly `args` (no `--config` added), for
    /// configuration tests that choose their own file or none. `prefix` goes between
    /// `ip netns exec` and the binary (`setpriv ...`).
    func agentExact(_ args: [String], environment: [String: String] = [:], prefix: [String] = []) async throws -> CommandResult {
        let env = environment.map { "\($0.key)=\($0.value)" }
        let argv = ["ip", "netns", "exec", ecs.name, "env"] + env + prefix + [BuildProducts.path("eni-agent")] + args
        return try Command.run(argv)
    }

    /// `--sync --dry-run --json | jq '.ops | length'`: what another sync would do now.
    func plannedOps(environment: [String: String] = [:]) async throws -> Int {
        let result = try await sync(["--dry-run", "--json"], environment: environment)
        return Int(try jq(".ops | length", result.stdout)) ?? -1
    }

    /// Everything the agent could have touched, as text: full `ip -j addr`, the rules and every
    /// table of both families. Two equal snapshots mean the kernel did not change.
    func kernelSnapshot() async throws -> String {
        [try ecs.ip("-j", "addr"), try ecs.ip("rule"), try ecs.ip("-6", "rule"),
         try ecs.ip("route", "show", "table", "all"), try ecs.ip("-6", "route", "show", "table", "all")].joined(separator: "\n")
    }

    /// Waits until no address is tentative (IPv6 DAD of the links' link-local addresses), so
    /// that a later snapshot differs only if somebody changed something.
    func settle() async throws {
        let settled = try await eventually(timeout: .seconds(10)) { !(try ecs.ip("-j", "addr").contains("tentative")) }
        #expect(settled, "IPv6 duplicate address detection did not finish")
    }


    func linkIndex(_ name: String) throws -> Int {
        try ecs.ipJSON("link", "show", "dev", name).first?["ifindex"] as? Int ?? -1
    }

    /// `ip -j addr show dev` entries for one address (empty when absent).
    func addressInfo(_ ifname: String, _ address: String) throws -> [String: Any]? {
        try ecs.ipJSON("addr", "show", "dev", ifname).flatMap { $0["addr_info"] as? [[String: Any]] ?? [] }
            .first { ($0["local"] as? String) == address }
    }

    // MARK: the simulator

    /// The served state document, parsed.
    func simState() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(try admin("GET", "/_sim/state").utf8)) as? [String: Any] ?? [:]
    }

    /// Edits one ENI of the served metadata through `PUT /_sim/enis/<mac>`.
    func editENI(_ mac: String, _ edit: (inout [String: Any]) -> Void) throws {
        guard var eni = (try simState()["enis"] as? [[String: Any]])?.first(where: { ($0["mac"] as? String) == mac }) else {
            throw TestFailure("no ENI \(mac) in the simulator's state")
        }
        edit(&eni)
        let body = String(decoding: try JSONSerialization.data(withJSONObject: eni), as: UTF8.self)
        try admin("PUT", "/_sim/enis/\(mac)", body: body)
    }

    func addIPv4(_ address: String, to mac: String) throws {
        try editENI(mac) { $0["privateIpv4s"] = ($0["privateIpv4s"] as? [String] ?? []) + [address] }
    }

    func removeIPv4(_ address: String, from mac: String) throws {
        try editENI(mac) { $0["privateIpv4s"] = ($0["privateIpv4s"] as? [String] ?? []).filter { $0 != address } }
    }

    func setTokenMode(_ mode: String) throws {
        var state = try simState()
        state["tokenMode"] = mode
        try admin("PUT", "/_sim/state", body: String(decoding: try JSONSerialization.data(withJSONObject: state), as: UTF8.self))
    }

    /// Replaces the injected faults with `json` (an array of SimFault objects).
    func setFaults(_ json: String) throws {
        try admin("PUT", "/_sim/faults", body: json)
    }

    // MARK: files

    var stateFilePath: String { stateDirectory + "/state.json" }

    func stateFileText() throws -> String { try String(contentsOfFile: stateFilePath, encoding: .utf8) }

    /// A config file of this lab's own (the state dir line first, like `writeConfig`).
    func writeFile(_ name: String, _ text: String) throws -> String {
        let path = directory + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

/// Runs the tests of a suite on threads of their own instead of Swift's cooperative pool.
///
/// These tests block: `Command.run` (every `ip`, `jq`, `curl` and `eni-agent` they start, and
/// `LabFixture.start`'s fixture commands) waits on its thread until the process exits. The
/// cooperative pool has one thread per core (two here), and it is shared by every suite of the
/// run: blocked by a few labs, it starved the in-process tests of other suites (MetadataTests'
/// reads ran out of their 5 s budget in the full run). A task executor preference moves every
/// job of the test onto a dispatch queue whose threads may block.
struct BlockingWork: SuiteTrait, TestTrait, TestScoping {
    var isRecursive: Bool { true }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        guard testCase != nil else { return try await function() }
        try await withTaskExecutorPreference(BlockingExecutor.shared) {
            await LabSlots.shared.acquire()
            defer { Task { await LabSlots.shared.release() } }
            try await function()
        }
    }
}

/// At most a few labs at once across these suites: each spawns a simulator and hundreds of
/// short processes, and on a small machine an unbounded burst of them starves the timing-bound
/// tests of other suites (MetadataTests' 5 s read budgets) without finishing any sooner.
actor LabSlots {
    static let shared = LabSlots(4)
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(_ slots: Int) { free = slots }

    func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty {
            free += 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}

extension Trait where Self == BlockingWork {
    /// For suites whose tests wait on subprocesses (see `BlockingWork`).
    static var blockingWork: Self { BlockingWork() }
}

final class BlockingExecutor: TaskExecutor {
    static let shared = BlockingExecutor()
    /// A concurrent queue of its own: libdispatch adds threads when its work blocks, which the
    /// cooperative pool never does.
    private let queue = DispatchQueue(label: "eni-agent.e2e.blocking", attributes: .concurrent)

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}

/// Runs `jq -r filter` on `json` and returns its output without the trailing newline.
func jq(_ filter: String, _ json: String) throws -> String {
    let result = try Command.run(["jq", "-r", filter], input: json)
    guard result.status == 0 else { throw TestFailure("\(result)") }
    return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The sample metadata of `scripts/imds-state.json`, as the tests refer to it.
enum Sample {
    static let primaryAddress = "192.168.1.201"
    static let eth0Secondary = "192.168.1.202"
    static let eth0IPv6 = "2408:4005:3a4:ab00::201"
    static let eth1IPv4 = ["192.168.1.211", "192.168.1.212", "192.168.1.213"]
    static let eth1IPv6 = ["2408:4005:3a4:ab00::211", "2408:4005:3a4:ab00::212"]
    static let eth2IPv4 = ["192.168.1.221", "192.168.1.222"]
    static let eth2IPv6 = ["2408:4005:3a4:ab00::221"]
    static let gateway = "192.168.1.253"
    static let gateway6 = LabFixture.gateway6
    static let secondaryIPv4: [(address: String, link: Int)] = eth1IPv4.map { ($0, 1) } + eth2IPv4.map { ($0, 2) }
    static let secondaryIPv6: [(address: String, link: Int)] = eth1IPv6.map { ($0, 1) } + eth2IPv6.map { ($0, 2) }
}
