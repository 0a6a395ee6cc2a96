// SPDX-License-Identifier: Apache-2.0
@testable import Agent
import Synchronization

/// systemd's side of sd_notify: every message the daemon sent, in order.
final class RecordingNotifier: ServiceNotifier {
    enum Message: Equatable, Sendable {
        case ready(status: String?)
        case status(String)
        case watchdog
        case reloading
        case stopping

        var isWatchdog: Bool { self == .watchdog }
        var isReady: Bool { if case .ready = self { true } else { false } }
    }

    let watchdogInterval: Duration?
    private let sent = Mutex<[(at: ContinuousClock.Instant, message: Message)]>([])

    init(watchdog: Duration? = nil) {
        watchdogInterval = watchdog
    }

    var messages: [Message] { sent.withLock { $0.map(\.message) } }
    var timeline: [(at: ContinuousClock.Instant, message: Message)] { sent.withLock { $0 } }

    private func record(_ message: Message) -> Bool {
        sent.withLock { $0.append((ContinuousClock.now, message)) }
        return true
    }

    func ready(status: String?) -> Bool { record(.ready(status: status)) }
    func status(_ text: String) -> Bool { record(.status(text)) }
    func watchdog() -> Bool { record(.watchdog) }
    func reloading() -> Bool { record(.reloading) }
    func stopping(status: String?) -> Bool { record(.stopping) }
}
