// SPDX-License-Identifier: Apache-2.0
import Systemd

/// What the daemon tells the service manager (sd_notify). `Notifier` is the real one; the Agent
/// tests record the messages instead.
protocol ServiceNotifier: Sendable {
    /// `WATCHDOG_USEC`, nil when no watchdog applies to this process.
    var watchdogInterval: Duration? { get }
    @discardableResult func ready(status: String?) -> Bool
    @discardableResult func status(_ text: String) -> Bool
    @discardableResult func watchdog() -> Bool
    @discardableResult func reloading() -> Bool
    @discardableResult func stopping(status: String?) -> Bool
}

extension Notifier: ServiceNotifier {}
