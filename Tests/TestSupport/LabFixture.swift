// SPDX-License-Identifier: Apache-2.0
import Foundation

/// An ECS instance and its VPC in two namespaces of this test's own, like `scripts/lab`:
/// the "vpc" side has the vSwitch gateway on a bridge, imds-sim on 100.100.100.200:80 and
/// "the Internet" (8.8.8.8, 2001:4860:4860::8888); the "ecs" side has eth0..ethN with the sample
/// MACs, eth0 configured as DHCP leaves it. Everything goes away on `destroy()`.
public final class LabFixture: @unchecked Sendable {
    public let vpc: NetworkNamespace
    public let ecs: NetworkNamespace
    /// Scratch directory: state dir, config file, simulator socket.
    public let directory: String
    public private(set) var sim: BackgroundProcess!
    public var simSocket: String { directory + "/sim.sock" }
    public var stateDirectory: String { directory + "/state" }
    public var configFile: String { directory + "/eni-agent.env" }

    public static let sampleState = BuildProducts.packageRoot + "/scripts/imds-state.json"
    public static let gateway6 = "2408:4005:3a4:ab00:ffff:ffff:ffff:fffd"

    /// `enis` links eth0..eth(enis-1) with MACs 00:16:3e:00:00:01...; the simulator serves
    /// `stateJSON` (the sample's three ENIs by default).
    public static func start(enis: Int = 3, stateJSON: String? = nil, config: String = "") async throws -> LabFixture {
        let lab = try LabFixture()
        do {
            try lab.build(enis: enis)
            try lab.writeConfig(config)
            let statePath = lab.directory + "/imds-state.json"
            try (stateJSON ?? String(contentsOfFile: sampleState, encoding: .utf8)).write(toFile: statePath, atomically: true, encoding: .utf8)
            try await lab.startSimulator(statePath: statePath)
            return lab
        } catch {
            lab.destroy()
            throw error
        }
    }

    private init() throws {
        vpc = try NetworkNamespace.create(prefix: "eav")
        do {
            ecs = try NetworkNamespace.create(prefix: "eae")
        } catch {
            vpc.destroy()
            throw error
        }
        directory = NSTemporaryDirectory() + "eni-lab-\(ecs.name)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    private func build(enis: Int) throws {
        // A fixed MAC, as a VPC gateway's never changes: a bridge otherwise takes its lowest
        // port's MAC, and deleting that port would change the gateway under the instance.
        try vpc.ip("link", "add", "br0", "address", "ee:ff:ff:ff:ff:ff", "type", "bridge")
        try vpc.ip("link", "set", "br0", "up")
        try vpc.ip("addr", "add", "192.168.1.253/24", "dev", "br0")
        try vpc.ip("addr", "add", "\(Self.gateway6)/64", "dev", "br0", "nodad")
        for address in ["100.100.100.200/32", "8.8.8.8/32", "2001:4860:4860::8888/128"] {
            try vpc.ip("addr", "add", address, "dev", "lo")
        }
        for i in 0..<enis { try addLink(index: i, mac: Self.mac(i)) }
        try ecs.exec(["sysctl", "-qw", "net.ipv4.conf.all.arp_ignore=1", "net.ipv4.conf.all.arp_announce=2"])
        try ecs.ip("link", "set", "eth0", "up")
        try ecs.ip("addr", "add", "192.168.1.201/24", "dev", "eth0")
        try ecs.ip("route", "add", "default", "via", "192.168.1.253", "dev", "eth0")
    }

    public static func mac(_ i: Int) -> String { String(format: "00:16:3e:00:00:%02x", i + 1) }

    /// A link `eth<index>` in the ecs namespace wired to the vSwitch (also for hot-plug tests).
    public func addLink(index: Int, mac: String) throws {
        try vpc.addVeth(name: "vpc-eth\(index)", peer: "eth\(index)", peerMac: mac, peerNamespace: ecs)
        try vpc.ip("link", "set", "vpc-eth\(index)", "master", "br0", "up")
    }

    public func writeConfig(_ text: String) throws {
        try "ENI_AGENT_STATE_DIR=\(stateDirectory)\n\(text)\n".write(toFile: configFile, atomically: true, encoding: .utf8)
    }

    private func startSimulator(statePath: String) async throws {
        sim = try BackgroundProcess(["/usr/sbin/ip", "netns", "exec", vpc.name, BuildProducts.path("imds-sim"),
                                     "--listen", "100.100.100.200:80", "--state", statePath, "--admin-socket", simSocket])
        let started = await eventually(timeout: .seconds(15)) { sim.stdout.contains("admin socket on") || !sim.isRunning }
        guard started, sim.isRunning else {
            throw CommandFailed(result: CommandResult(argv: ["imds-sim"], status: -1, stdout: sim.stdout, stderr: sim.stderr))
        }
    }

    /// The simulator's admin API over its Unix socket: `admin("PUT", "/_sim/faults", body: "[...]")`.
    @discardableResult
    public func admin(_ method: String, _ path: String, body: String? = nil) throws -> String {
        var argv = ["curl", "-sS", "--fail-with-body", "--unix-socket", simSocket, "-X", method, "http://sim\(path)"]
        if body != nil { argv += ["-H", "Content-Type: application/json", "--data-binary", "@-"] }
        return try Command.check(argv, input: body)
    }

    /// Requests the simulator has answered (metadata only, admin excluded).
    public func metadataRequests() throws -> Int {
        let json = try JSONSerialization.jsonObject(with: Data(try admin("GET", "/_sim/counters").utf8)) as? [String: Any]
        return json?["total"] as? Int ?? -1
    }

    /// `eni-agent args... --config <lab config>` inside the ecs namespace.
    @discardableResult
    public func agent(_ args: [String], environment: [String: String] = [:], timeout: Duration = .seconds(60)) throws -> CommandResult {
        let env = environment.map { "\($0.key)=\($0.value)" }
        return try Command.run(["ip", "netns", "exec", ecs.name, "env"] + env + [BuildProducts.path("eni-agent")] + args + ["--config", configFile],
                               timeout: timeout)
    }

    /// The daemon, in the background inside the ecs namespace.
    public func startDaemon(environment: [String: String] = [:], args: [String] = []) throws -> BackgroundProcess {
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        return try BackgroundProcess(["/usr/sbin/ip", "netns", "exec", ecs.name, BuildProducts.path("eni-agent")] + args + ["--config", configFile],
                                     environment: env)
    }

    /// Addresses on a link as `address/prefix` strings, IPv6 link-local left out.
    public func addresses(_ ifname: String) throws -> [String] {
        try ecs.ipJSON("addr", "show", "dev", ifname).flatMap { link -> [String] in
            (link["addr_info"] as? [[String: Any]] ?? []).compactMap { info in
                guard let local = info["local"] as? String, let len = info["prefixlen"] as? Int,
                      (info["scope"] as? String) != "link" else { return nil }
                return "\(local)/\(len)"
            }
        }
    }

    /// `ip rule` and `ip -6 rule` lines.
    public func rules() throws -> [String] {
        (try ecs.ip("rule") + ecs.ip("-6", "rule")).split(separator: "\n").map { String($0).trimmingCharacters(in: .whitespaces) }
    }

    /// `ip route get <destination> from <source>`'s first line.
    public func routeGet(_ destination: String, from source: String) throws -> String {
        String(try ecs.ip("route", "get", destination, "from", source).split(separator: "\n").first ?? "")
    }

    /// Packets the vpc side received from ecs link `eth<index>`.
    public func receivedPackets(fromLink index: Int) throws -> Int {
        let stats = try vpc.ipJSON("-s", "link", "show", "vpc-eth\(index)").first?["stats64"] as? [String: Any]
        return (stats?["rx"] as? [String: Any])?["packets"] as? Int ?? -1
    }

    public func destroy() {
        sim?.signal(SIGKILL)
        ecs.destroy()
        vpc.destroy()
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit { destroy() }
}
