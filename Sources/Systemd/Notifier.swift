// SPDX-License-Identifier: Apache-2.0
import CSystemd

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Tells the service manager how the service is doing, over the `sd_notify(3)` protocol.
///
/// Every call is a no-op when the process was not started with `NOTIFY_SOCKET` (run from a
/// shell, `--sync` from a oneshot unit without `NotifyAccess=`...), so callers never need to
/// check. Each call returns whether the datagram was delivered; it is discardable because a
/// service keeps running when the manager cannot be told, and systemd itself treats a missed
/// notification as a timeout, not a crash.
public struct Notifier: Sendable {
    /// `NOTIFY_SOCKET` was set when this value was made.
    public let isEnabled: Bool

    /// The interval within which systemd expects `watchdog()` pings (`WatchdogSec=`), or nil
    /// when no watchdog applies to this process (`WATCHDOG_USEC` unset or invalid, or
    /// `WATCHDOG_PID` names another process). Ping at half of it to leave room for jitter.
    public let watchdogInterval: Duration?

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` once. The environment is left
    /// as it is (`unset_environment = 0`): a service does not pass these to its children
    /// anyway, and unsetting would race every other thread that reads the environment.
    public init() {
        isEnabled = getenv("NOTIFY_SOCKET").map { $0.pointee != 0 } ?? false
        var usec: UInt64 = 0
        // > 0: enabled, 0: no watchdog for us, < 0: malformed variables; the last is not worth
        // refusing to start over, the unit's watchdog will say so loudly enough.
        if sd_watchdog_enabled(0, &usec) > 0, usec > 0, let micro = Int64(exactly: usec) {
            watchdogInterval = .microseconds(micro)
        } else {
            watchdogInterval = nil
        }
    }

    /// `READY=1`, with an optional `STATUS=` in the same datagram so that the first status
    /// systemd shows is never a stale "starting".
    @discardableResult
    public func ready(status: String? = nil) -> Bool {
        notify([("READY", "1")] + Self.statusField(status))
    }

    /// `STATUS=`: one line shown by `systemctl status`.
    @discardableResult
    public func status(_ text: String) -> Bool {
        notify([("STATUS", text)])
    }

    /// `WATCHDOG=1`. Send it only from the loop that proves progress, never from a timer of
    /// its own: a pinging timer on a stuck service defeats the watchdog.
    @discardableResult
    public func watchdog() -> Bool {
        notify([("WATCHDOG", "1")])
    }

    /// `RELOADING=1` with `MONOTONIC_USEC=` (required by `Type=notify-reload`, systemd 253+,
    /// to tell this reload from an earlier one). Follow it with `ready()` when done.
    @discardableResult
    public func reloading() -> Bool {
        notify([("RELOADING", "1"), ("MONOTONIC_USEC", String(Self.monotonicMicroseconds()))])
    }

    /// `STOPPING=1`, with an optional `STATUS=`.
    @discardableResult
    public func stopping(status: String? = nil) -> Bool {
        notify([("STOPPING", "1")] + Self.statusField(status))
    }

    /// `MAINPID=`: the process systemd should supervise from now on.
    @discardableResult
    public func mainPID(_ pid: Int32) -> Bool {
        notify([("MAINPID", String(pid))])
    }

    /// Any other assignments (`ERRNO=`, `EXTEND_TIMEOUT_USEC=`...), in one datagram, in key
    /// order so that the datagram is the same for the same fields.
    @discardableResult
    public func send(_ fields: [String: String]) -> Bool {
        notify(fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    private func notify(_ fields: [(String, String)]) -> Bool {
        guard isEnabled, !fields.isEmpty else { return false }
        // sd_notify reads NOTIFY_SOCKET again, and handles abstract sockets and credentials.
        return Self.datagram(fields).withCString { sd_notify(0, $0) } > 0
    }

    private static func statusField(_ status: String?) -> [(String, String)] {
        status.map { [("STATUS", $0)] } ?? []
    }

    /// The text of one notification: `KEY=value` lines. A value is one line by construction:
    /// the protocol is newline-separated, so a newline in, say, an IMDS value put into STATUS
    /// would otherwise let it add `READY=1` or `MAINPID=` of its own. NUL is replaced too,
    /// because the C string would end there and drop every field after it.
    static func datagram(_ fields: [(String, String)]) -> String {
        fields.map { key, value in
            sanitized(key, replacing: "=", with: "_") + "=" + sanitized(value, replacing: nil, with: " ")
        }.joined(separator: "\n")
    }

    private static func sanitized(_ text: String, replacing extra: Unicode.Scalar?, with replacement: Character) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if scalar == "\n" || scalar == "\r" || scalar == "\0" || scalar == extra {
                result.append(replacement)
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// CLOCK_MONOTONIC in microseconds, the clock systemd compares MONOTONIC_USEC against.
    static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }
}
