// SPDX-License-Identifier: Apache-2.0
import Foundation
// `swift build` compiles this regular target in every configuration, and the static Swift SDK
// (--static-swift-stdlib) has no Testing module: only the tests' builds see the trait below.
#if canImport(Testing)
import Testing
#endif

/// A network namespace of this test's own, removed (with every process in it) on `destroy()`.
/// Names are unique per process and test, so tests run in parallel.
public final class NetworkNamespace: @unchecked Sendable {
    public let name: String
    public var path: String { "/run/netns/\(name)" }
    private var destroyed = false
    private static let counter = Counter()

    public static func create(prefix: String = "ea") throws -> NetworkNamespace {
        let name = "\(prefix)-\(getpid())-\(counter.next())"
        try Command.check(["ip", "netns", "add", name])
        let ns = NetworkNamespace(name: name)
        try ns.ip("link", "set", "lo", "up")
        return ns
    }

    private init(name: String) { self.name = name }

    /// `ip -n <name> args...`; throws with stderr on failure.
    @discardableResult
    public func ip(_ args: String...) throws -> String {
        try Command.check(["ip", "-n", name] + args)
    }

    /// `ip -n <name> -j args...` parsed as a JSON array of objects.
    public func ipJSON(_ args: String...) throws -> [[String: Any]] {
        let text = try Command.check(["ip", "-n", name, "-j"] + args)
        guard !text.isEmpty, let array = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] else { return [] }
        return array
    }

    /// Runs a command inside the namespace.
    @discardableResult
    public func exec(_ argv: [String], timeout: Duration = .seconds(60)) throws -> CommandResult {
        try Command.run(["ip", "netns", "exec", name] + argv, timeout: timeout)
    }

    /// A veth pair with chosen MACs: `name` here, `peer` in `peerNamespace` (or here).
    public func addVeth(name: String, mac: String? = nil, peer: String, peerMac: String? = nil,
                        peerNamespace: NetworkNamespace? = nil) throws {
        var args = ["link", "add", name]
        if let mac { args += ["address", mac] }
        args += ["type", "veth", "peer", "name", peer]
        if let peerMac { args += ["address", peerMac] }
        if let peerNamespace { args += ["netns", peerNamespace.name] }
        try Command.check(["ip", "-n", self.name] + args)
    }

    /// Kills what runs inside and deletes the namespace; safe to call twice.
    public func destroy() {
        guard !destroyed else { return }
        destroyed = true
        if let pids = try? Command.run(["ip", "netns", "pids", name]).stdout {
            for pid in pids.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
        }
        _ = try? Command.run(["ip", "netns", "del", name])
    }

    deinit { destroy() }
}

/// Creates a namespace, runs `body`, and always removes the namespace.
public func withNamespace<T>(prefix: String = "ea", _ body: (NetworkNamespace) async throws -> T) async throws -> T {
    let ns = try NetworkNamespace.create(prefix: prefix)
    defer { ns.destroy() }
    return try await body(ns)
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int { lock.withLock { value += 1; return value } }
}

/// Root integration tests need root (network namespaces, CAP_NET_ADMIN). Without root they are
/// skipped with the reason, except in CI (the CI variable set), where they run and fail loudly.
public enum Privileges {
    public static var isRoot: Bool { geteuid() == 0 }
    public static var inCI: Bool { ProcessInfo.processInfo.environment["CI"].map { !$0.isEmpty } ?? false }
    public static var canRunIntegration: Bool { isRoot || inCI }
}

#if canImport(Testing)
extension Trait where Self == ConditionTrait {
    /// For tests that create namespaces and change the kernel.
    public static var requiresRoot: Self {
        .enabled(if: Privileges.canRunIntegration,
                 "needs root for network namespaces and CAP_NET_ADMIN; CI runs these as root (set CI=1 to force them)")
    }
}
#endif

/// Where `swift build` put the executables: next to the test bundle.
public enum BuildProducts {
    public static var directory: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().path
    }

    public static func path(_ name: String) -> String { directory + "/" + name }

    /// The package root (for scripts/ and sample files).
    public static var packageRoot: String {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
        }
        return FileManager.default.currentDirectoryPath
    }
}
