// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
import TestSupport

/// One sd_notify datagram as the daemon sent it, with when it arrived.
struct NotifyMessage: Sendable, CustomStringConvertible {
    var at: ContinuousClock.Instant
    var fields: [String: String]
    var raw: String

    var description: String { raw.replacingOccurrences(of: "\n", with: " | ") }
    func has(_ key: String, _ value: String? = nil) -> Bool {
        guard let actual = fields[key] else { return false }
        return value.map { $0 == actual } ?? true
    }
}

/// An AF_UNIX datagram socket at a unique path, standing in for systemd's NOTIFY_SOCKET. A
/// filesystem socket is reachable from the daemon's network namespace: only the network stack
/// is separate there, not the file system.
final class NotifySocket: @unchecked Sendable {
    let path: String
    private let fd: Int32
    private let lock = NSLock()
    private var received: [NotifyMessage] = []
    private var stopped = false
    private let done = DispatchSemaphore(value: 0)

    init() throws {
        path = NSTemporaryDirectory() + "eni-notify-\(getpid())-\(UUID().uuidString.prefix(8)).sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.utf8.enumerated() where i < raw.count - 1 { raw[i] = byte }
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else {
            let error = errno
            Glibc.close(fd)
            throw POSIXError(.init(rawValue: error) ?? .EIO)
        }
        // A receive timeout lets the reader notice `close()` without a second descriptor.
        var timeout = timeval(tv_sec: 0, tv_usec: 50_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let thread = Thread { [self] in readLoop() }
        thread.start()
    }

    private func readLoop() {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !lock.withLock({ stopped }) {
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { continue }
            let raw = String(decoding: buffer[0..<n], as: UTF8.self)
            var fields: [String: String] = [:]
            for line in raw.split(separator: "\n") {
                guard let eq = line.firstIndex(of: "=") else { continue }
                fields[String(line[..<eq])] = String(line[line.index(after: eq)...])
            }
            let message = NotifyMessage(at: .now, fields: fields, raw: raw)
            lock.withLock { received.append(message) }
        }
        done.signal()
    }

    var messages: [NotifyMessage] { lock.withLock { received } }

    /// The first message at or after `index` that has `key` (with `value`), and its index.
    func first(_ key: String, _ value: String? = nil, from index: Int = 0) -> (Int, NotifyMessage)? {
        let all = messages
        guard index < all.count else { return nil }
        return all.indices[index...].lazy.map { ($0, all[$0]) }.first { $0.1.has(key, value) }
    }

    func close() {
        let first = lock.withLock { () -> Bool in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        done.wait()
        Glibc.close(fd)
        unlink(path)
    }

    deinit { close() }
}

/// A lab with the daemon running in it, its stderr read as plain log lines.
final class DaemonLab: @unchecked Sendable {
    let lab: LabFixture
    let notify: NotifySocket
    private(set) var daemon: BackgroundProcess!
    let startedAt = ContinuousClock.now

    /// `environment` adds to (and overrides) the daemon's; NOTIFY_SOCKET points at `notify`;
    /// `watchdog` sets WATCHDOG_USEC.
    static func start(enis: Int = 3, config: String = "", environment: [String: String] = [:],
                      watchdog: Duration? = nil, beforeDaemon: (LabFixture) throws -> Void = { _ in }) async throws -> DaemonLab {
        let lab = try await LabFixture.start(enis: enis, config: config)
        do {
            let notify = try NotifySocket()
            let harness = DaemonLab(lab: lab, notify: notify)
            try beforeDaemon(lab)
            var env = [
                "NOTIFY_SOCKET": notify.path,
                // Plain lines on stderr even when the test runner itself logs to the journal.
                "JOURNAL_STREAM": "",
                "WATCHDOG_USEC": "",
            ]
            if let watchdog { env["WATCHDOG_USEC"] = String(watchdog.components.seconds * 1_000_000 + watchdog.components.attoseconds / 1_000_000_000_000) }
            for (key, value) in environment { env[key] = value }
            harness.daemon = try lab.startDaemon(environment: env)
            return harness
        } catch {
            lab.destroy()
            throw error
        }
    }

    private init(lab: LabFixture, notify: NotifySocket) {
        self.lab = lab
        self.notify = notify
    }

    /// Kills what is left and removes the lab; safe after `stop`.
    func destroy() {
        if let daemon, daemon.isRunning { daemon.signal(SIGKILL) }
        notify.close()
        lab.destroy()
    }

    /// Waits for READY=1; fails the test with the daemon's output if it does not come.
    @discardableResult
    func waitReady(timeout: Duration = .seconds(15), sourceLocation: SourceLocation = #_sourceLocation) async -> NotifyMessage? {
        let ready = await eventually(timeout: timeout, every: .milliseconds(10)) { notify.first("READY", "1") != nil || !daemon.isRunning }
        let message = notify.first("READY", "1")?.1
        if !ready || message == nil {
            Issue.record("no READY=1 within \(timeout): \(diagnostics)", sourceLocation: sourceLocation)
        }
        return message
    }

    /// Signals the daemon and waits for it to exit; returns how long that took as the kernel
    /// saw it (the process a zombie or gone: Foundation's reaping of it lags on a loaded
    /// machine) and its exit status.
    func stop(with signal: Int32 = SIGTERM, timeout: Duration = .seconds(5)) async -> (took: Duration, status: Int32?) {
        let pid = daemon.pid
        let sent = ContinuousClock.now
        daemon.signal(signal)
        _ = await eventually(timeout: timeout, every: .milliseconds(2)) {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return true }
            return stat[stat.index(close, offsetBy: 2)] == "Z"
        }
        let took = ContinuousClock.now - sent
        return (took, await daemon.wait(timeout: timeout))
    }

    var diagnostics: String {
        "running=\(daemon.isRunning)\n--- notify\n\(notify.messages.map(\.description).joined(separator: "\n"))\n--- stderr\n\(daemon.stderr)"
    }

    /// The daemon's stderr, one plain log line each.
    var lines: [LogLine] { daemon.stderr.split(separator: "\n").map { LogLine(String($0)) } }

    func lines(_ level: String, containing text: String = "") -> [LogLine] {
        // Foundation's contains("") is false: an empty filter must match everything.
        lines.filter { $0.level == level && (text.isEmpty || $0.message.contains(text)) }
    }
}

/// `notice: added 192.168.1.212/24 on eth1 (eni-…) action=add address=192.168.1.212 …`
struct LogLine: Sendable, CustomStringConvertible {
    var raw: String
    var level: String
    var message: String
    var fields: [String: String]

    init(_ raw: String) {
        self.raw = raw
        guard let colon = raw.range(of: ": ") else {
            level = ""
            message = raw
            fields = [:]
            return
        }
        level = String(raw[..<colon.lowerBound])
        var rest = String(raw[colon.upperBound...])
        // Fields trail the message: ` key=value` or ` key="quoted \" value"`, keys in [a-z_].
        var fields: [String: String] = [:]
        let pattern = try! NSRegularExpression(pattern: #" ([a-z_]+)=("(?:[^"\\]|\\.)*"|[^ "]*)$"#)
        while let match = pattern.firstMatch(in: rest, range: NSRange(rest.startIndex..., in: rest)) {
            let key = String(rest[Range(match.range(at: 1), in: rest)!])
            var value = String(rest[Range(match.range(at: 2), in: rest)!])
            if value.hasPrefix("\"") {
                value = String(value.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"").replacingOccurrences(of: "\\\\", with: "\\")
            }
            fields[key] = value
            rest = String(rest[..<Range(match.range, in: rest)!.lowerBound])
        }
        message = rest
        self.fields = fields
    }

    var description: String { raw }
}

/// Median of a non-empty list.
func median(_ values: [Duration]) -> Duration {
    let sorted = values.sorted()
    return sorted[sorted.count / 2]
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    var ms: Int { Int((seconds * 1000).rounded()) }
}

/// CLOCK_MONOTONIC now, in microseconds, as MONOTONIC_USEC is.
func monotonicMicroseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
}

/// Prints a measurement where `swift test` output shows it.
func report(_ text: String) {
    print("[measure] \(text)")
}

extension LabFixture {
    /// The simulator's ENI object for `mac`, as JSON.
    func simENI(_ mac: String) throws -> [String: Any] {
        let state = try JSONSerialization.jsonObject(with: Data(try admin("GET", "/_sim/state").utf8)) as? [String: Any]
        let enis = state?["enis"] as? [[String: Any]] ?? []
        guard let eni = enis.first(where: { ($0["mac"] as? String)?.lowercased() == mac.lowercased() }) else {
            throw TestFailure("no ENI \(mac) in the simulator's state")
        }
        return eni
    }

    /// Upserts an ENI object in the simulator (the admin API).
    func putSimENI(_ eni: [String: Any]) throws {
        let mac = eni["mac"] as! String
        let body = String(decoding: try JSONSerialization.data(withJSONObject: eni), as: UTF8.self)
        try admin("PUT", "/_sim/enis/\(mac)", body: body)
    }

    /// Edits one ENI of the simulator's state in place.
    func editSimENI(_ mac: String, _ change: (inout [String: Any]) -> Void) throws {
        var eni = try simENI(mac)
        change(&eni)
        try putSimENI(eni)
    }

    /// Every address on every ethN link and every rule: what "nothing was removed" compares.
    func kernelPicture() throws -> (addresses: Set<String>, rules: Set<String>, routes: Set<String>) {
        var addresses: Set<String> = []
        for link in try ecs.ipJSON("link", "show") {
            guard let name = link["ifname"] as? String, name.hasPrefix("eth") else { continue }
            for address in try self.addresses(name) { addresses.insert("\(name) \(address)") }
        }
        let routes = try ecs.ip("route", "show", "table", "all") + ecs.ip("-6", "route", "show", "table", "all")
        return (addresses, Set(try rules()),
                Set(routes.split(separator: "\n").map(String.init).filter { $0.contains("proto 233") || $0.contains("proto eni-agent") }))
    }
}

/// `ip -ts monitor address rule link` in a namespace: kernel events with the time the monitor
/// received them, so that "deleted → restored" is measured between two kernel events, not
/// between two polls of `ip addr` (each a process of its own, ~5-30 ms on a loaded machine).
final class KernelMonitor: @unchecked Sendable {
    private let process: BackgroundProcess

    struct Event: CustomStringConvertible {
        /// Seconds on `ip -ts`'s clock (local wall-clock time, its date included: only
        /// differences matter, and they hold across midnight).
        var at: Double
        var deleted: Bool
        var text: String
        var description: String { "\(at) \(deleted ? "Deleted " : "")\(text)" }
    }

    init(_ ns: NetworkNamespace) async throws {
        process = try BackgroundProcess(["/usr/sbin/ip", "-n", ns.name, "-ts", "monitor", "address", "rule", "link"])
        // Subscribed once a change made now shows up; one made before it subscribed is lost,
        // so the probe address comes and goes until the monitor reports it.
        for attempt in 0..<25 {
            try ns.ip("addr", attempt % 2 == 0 ? "add" : "del", "127.0.0.42/8", "dev", "lo")
            if await eventually(timeout: .milliseconds(200), { self.events.contains { $0.text.contains("127.0.0.42/8") } }) { return }
        }
        throw TestFailure("ip monitor did not start: \(process.stderr)")
    }

    var events: [Event] { process.stdout.split(separator: "\n").compactMap(Self.event) }

    /// One line of `ip -ts monitor`: `[2026-11-23T22:46:23.271660] Deleted 3: eth1    inet …`.
    static func event(_ line: Substring) -> Event? {
        guard line.hasPrefix("["), let close = line.firstIndex(of: "]") else { return nil }
        let stamp = line[line.index(after: line.startIndex)..<close]            // 2026-11-23T22:46:23.271660
        let parts = stamp.split(whereSeparator: { "-T:".contains($0) })
        guard parts.count == 6, let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              let hour = Int(parts[3]), let minute = Int(parts[4]), let second = Double(parts[5]) else { return nil }
        var text = line[line.index(after: close)...].drop { $0 == " " }
        let deleted = text.hasPrefix("Deleted ")
        if deleted { text = text.dropFirst("Deleted ".count) }
        return Event(at: Self.seconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second),
                     deleted: deleted, text: String(text))
    }

    /// A wall-clock date and time as seconds since 1970-01-01, the fields taken as they are
    /// (as UTC), so that 23:59:59 and 00:00:01 of the next day are two seconds apart.
    static func seconds(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Double) -> Double {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let whole = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute))!
        return whole.timeIntervalSince1970 + second
    }

    /// For every deletion of an object whose line contains `pattern`, the time until it was
    /// added back (nil where it was not).
    func restoreLatencies(_ pattern: String) -> [Duration?] {
        let all = events
        return all.indices.filter { all[$0].deleted && all[$0].text.contains(pattern) }.map { i in
            all[(i + 1)...].first { !$0.deleted && $0.text.contains(pattern) }.map {
                .microseconds(Int64((($0.at - all[i].at) * 1e6).rounded()))
            }
        }
    }

    /// Now, on the scale of `Event.at`: local wall-clock time, as `ip -ts` prints it.
    static var now: Double {
        let parts = Calendar.current.dateComponents([.year, .month, .day, .hour, .minute, .second, .nanosecond], from: Date())
        return seconds(year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!,
                       second: Double(parts.second!) + Double(parts.nanosecond!) / 1e9)
    }

    /// The first event at or after `time` whose line contains `pattern` (an addition, or with
    /// `deleted` a deletion).
    func first(_ pattern: String, deleted: Bool = false, after time: Double) -> Event? {
        events.first { $0.at >= time && $0.deleted == deleted && $0.text.contains(pattern) }
    }

    func stop() { process.signal(SIGTERM) }
    deinit { stop() }
}

extension Double {
    /// Seconds as a Duration.
    var duration: Duration { .microseconds(Int64((self * 1e6).rounded())) }
}

extension LabFixture {
    /// A Linux bridge takes the lowest MAC of its ports unless it was given one: a hot-plugged
    /// port with a lower random MAC changes the "vSwitch gateway's" MAC under the instance,
    /// whose ARP entry for it then points nowhere for up to half a minute (every connection to
    /// the metadata service times out meanwhile). A VPC's gateway MAC never changes: pin it.
    /// (LabFixture.build would be the better place for this; TestSupport is not ours to edit.)
    func pinGatewayMAC() throws {
        guard let mac = try vpc.ipJSON("link", "show", "br0").first?["address"] as? String else {
            throw TestFailure("br0 has no address")
        }
        try vpc.ip("link", "set", "br0", "address", mac)
    }
}
