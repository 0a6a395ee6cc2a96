// SPDX-License-Identifier: Apache-2.0
import Agent
import Model
import Synchronization

/// The kernel as a value behind a lock: a snapshot copies it, an apply changes it as rtnetlink
/// would for the ops the planner emits (EEXIST and ENOENT count as done). Tests change it
/// directly too, as an administrator would.
final class FakeKernel: KernelNetwork {
    private struct State {
        var kernel: KernelState
        var snapshots = 0
        var applied: [Op] = []
        var snapshotFailure: String?
        /// Answers lost: nil, they come; true, each op is applied and its answer lost; false,
        /// lost and not applied.
        var answersLost: Bool?
        var onApply: (@Sendable ([Op]) -> Void)?
    }
    private let state: Mutex<State>

    struct SnapshotFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// Whether added addresses keep their IFA_PROTO mark (Linux 6.1 and later) or lose it.
    let marksAddresses: Bool

    init(_ kernel: KernelState, marksAddresses: Bool = true) {
        state = Mutex(State(kernel: kernel))
        self.marksAddresses = marksAddresses
    }

    func snapshot() async throws -> KernelState {
        let result = state.withLock { state -> Result<KernelState, SnapshotFailure> in
            state.snapshots += 1
            if let failure = state.snapshotFailure { return .failure(SnapshotFailure(description: failure)) }
            return .success(state.kernel)
        }
        return try result.get()
    }

    func apply(_ ops: [Op]) async -> [OpResult] {
        state.withLock { $0.onApply }?(ops)
        return state.withLock { state in
            state.applied += ops
            guard let applying = state.answersLost else {
                return ops.map { OpResult(op: $0, outcome: Self.apply($0, to: &state.kernel, marks: marksAddresses)) }
            }
            return ops.map { op in
                if applying { _ = Self.apply(op, to: &state.kernel, marks: marksAddresses) }
                return OpResult(op: op, outcome: .unknown(errno: 105, message: "No buffer space available; the kernel may have applied it"))
            }
        }
    }

    var current: KernelState { state.withLock { $0.kernel } }
    var snapshots: Int { state.withLock { $0.snapshots } }
    /// Every op applied so far, in order.
    var applied: [Op] { state.withLock { $0.applied } }

    /// Snapshots fail with `reason` from now on (nil: they work again).
    func failSnapshots(_ reason: String?) {
        state.withLock { $0.snapshotFailure = reason }
    }

    /// From now on every op's answer is lost, as when the socket's receive buffer overflows
    /// (ENOBUFS): the op is applied (`applying`) or not, and its outcome is `.unknown`. nil: the
    /// answers come again.
    func loseAnswers(applying: Bool?) {
        state.withLock { $0.answersLost = applying }
    }

    /// `body` runs with the ops of every apply before the kernel sees them: what a process
    /// killed at that moment would have left behind.
    func whenApplying(_ body: @escaping @Sendable ([Op]) -> Void) {
        state.withLock { $0.onApply = body }
    }

    func change(_ body: (inout KernelState) -> Void) {
        state.withLock { body(&$0.kernel) }
    }

    private static func apply(_ op: Op, to kernel: inout KernelState, marks: Bool) -> OpOutcome {
        let noDevice = OpOutcome.failed(errno: 19, message: "No such device")
        switch op {
        case .setLinkUp(let index, _):
            guard let i = kernel.links.firstIndex(where: { $0.index == index }) else { return noDevice }
            kernel.links[i].isUp = true
        case .addAddress(var a):
            guard kernel.link(index: a.ifindex) != nil else { return noDevice }
            if !marks { a.proto = nil }
            guard !kernel.addresses.contains(where: { $0.key == a.key }) else { return .alreadyInPlace }
            // The first IPv4 address of a subnet on a link is its primary, the others secondaries.
            if a.family == .v4, kernel.addresses.contains(where: { $0.ifindex == a.ifindex && $0.family == .v4
                && $0.prefix.length == a.prefix.length && $0.prefix.network == a.prefix.network }) {
                a.flags.insert(.secondary)
            }
            kernel.addresses.append(a)
        case .removeAddress(let a):
            guard let i = kernel.addresses.firstIndex(where: { $0.key == a.key }) else { return .alreadyInPlace }
            kernel.addresses.remove(at: i)
        case .addRoute(let r, let replace):
            if let i = kernel.routes.firstIndex(where: { $0.key == r.key }) {
                guard replace else { return .alreadyInPlace }
                kernel.routes[i] = r
            } else {
                kernel.routes.append(r)
            }
        case .removeRoute(let r):
            guard let i = kernel.routes.firstIndex(where: { $0.key == r.key }) else { return .alreadyInPlace }
            kernel.routes.remove(at: i)
        case .addRule(let r):
            guard !kernel.rules.contains(where: { $0.key == r.key }) else { return .alreadyInPlace }
            kernel.rules.append(r)
        case .removeRule(let r):
            guard let i = kernel.rules.firstIndex(where: { $0.key == r.key }) else { return .alreadyInPlace }
            kernel.rules.remove(at: i)
        }
        return .applied
    }
}
