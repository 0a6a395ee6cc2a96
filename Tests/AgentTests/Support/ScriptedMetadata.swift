// SPDX-License-Identifier: Apache-2.0
import Agent
import Metadata
import Model
import Synchronization

/// A metadata service that answers what the test scripted: a network, a failure, or nothing at
/// all until the read is cancelled. The last answer repeats. The engine gets it back for every
/// configuration (`source(for:)`), so that a reload keeps the script.
final class ScriptedMetadata: MetadataSource {
    enum Answer: Sendable {
        case network(InstanceNetwork)
        case failure(MetadataError)
        /// The read waits until it is cancelled, as on a service that never answers.
        case silence
        /// The read answers `network` once the test opens the gate.
        case held(Gate, InstanceNetwork)
    }

    private struct State {
        var answers: [Answer]
        var reads = 0
        var shutdowns = 0
        var configurations: [MetadataConfiguration] = []
    }
    private let state: Mutex<State>

    init(_ answers: Answer...) {
        state = Mutex(State(answers: answers))
    }

    /// What the next reads answer, from now on.
    func script(_ answers: Answer...) {
        state.withLock { $0.answers = answers }
    }

    /// Reads started so far.
    var reads: Int { state.withLock { $0.reads } }
    /// How often the engine let go of a source (a reload, the end).
    var shutdowns: Int { state.withLock { $0.shutdowns } }
    /// The configurations the engine asked for a source with, in order.
    var configurations: [MetadataConfiguration] { state.withLock { $0.configurations } }

    /// The engine's factory: this script, whatever the configuration.
    func source(for configuration: MetadataConfiguration) -> any MetadataSource {
        state.withLock { $0.configurations.append(configuration) }
        return self
    }

    func read() async throws -> MetadataRead {
        let answer = state.withLock { state -> Answer in
            state.reads += 1
            return state.answers.count > 1 ? state.answers.removeFirst() : state.answers[0]
        }
        switch answer {
        case .network(let network):
            // A quiet read of a real service costs 1 + 2 requests per ENI.
            return MetadataRead(network: network, requests: 1 + 2 * network.enis.count, duration: .zero, diagnostics: [])
        case .failure(let error): throw error
        case .held(let gate, let network):
            await gate.wait()
            return MetadataRead(network: network, requests: 1 + 2 * network.enis.count, duration: .zero, diagnostics: [])
        case .silence:
            do {
                try await Task.sleep(for: .seconds(3600))
            } catch {
                throw MetadataError.cancelled
            }
            throw MetadataError.timeout
        }
    }

    func shutdown() async {
        state.withLock { $0.shutdowns += 1 }
    }
}

/// Holds whoever waits on it until the test opens it; stays open after.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { continuation in
            let resume = state.withLock { state -> Bool in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if resume { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
