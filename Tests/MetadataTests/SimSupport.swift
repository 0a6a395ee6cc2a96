// SPDX-License-Identifier: Apache-2.0
// Runs the IMDS simulator in-process on 127.0.0.1 (ephemeral port) for one test, with a client
// pointed at it, and knows the sample state's expected reading.

import Foundation
import IMDSSim
import Metadata
import Model
import Testing

/// The sample state shipped with the simulator, as the lab uses it.
func sampleState() throws -> SimState {
    let url = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/imds-state.json")
    return try JSONDecoder().decode(SimState.self, from: Data(contentsOf: url))
}

/// What reading the sample state must give, written out by hand rather than derived from the
/// document, so that the simulator and the client cannot agree on a mistake.
let expectedSampleNetwork: InstanceNetwork = {
    let subnet = IPPrefix("192.168.1.0/24")!
    let subnet6 = IPPrefix("2408:4005:3a4:ab00::/64")!
    let gateway = IPv4Address("192.168.1.253")!
    let gateway6 = IPv6Address("2408:4005:3a4:ab00:ffff:ffff:ffff:fffd")!
    func eni(_ n: Int, _ primary: String, _ ips: [String], _ six: [String]) -> ENI {
        ENI(
            mac: MACAddress("00:16:3e:00:00:0\(n)")!, id: "eni-bp1d66qjxb3qoin3ex0\(n)",
            primaryIPv4: IPv4Address(primary)!, privateIPv4s: ips.map { IPv4Address($0)! }, ipv4Subnet: subnet,
            gateway: gateway, ipv6s: six.map { IPv6Address($0)! }, ipv6Gateway: gateway6, ipv6Subnet: subnet6)
    }
    return InstanceNetwork(
        primaryMAC: MACAddress("00:16:3e:00:00:01")!, instanceID: "i-bp1e3fhzdm2hgvz6q7ta",
        regionID: "cn-hangzhou", zoneID: "cn-hangzhou-k",
        enis: [
            eni(1, "192.168.1.201", ["192.168.1.201", "192.168.1.202"], ["2408:4005:3a4:ab00::201"]),
            eni(2, "192.168.1.211", ["192.168.1.211", "192.168.1.212", "192.168.1.213"],
                ["2408:4005:3a4:ab00::211", "2408:4005:3a4:ab00::212"]),
            eni(3, "192.168.1.221", ["192.168.1.221", "192.168.1.222"], ["2408:4005:3a4:ab00::221"]),
        ])
}()

/// `count` ENIs like the sample's, each in its own /24 with 2 IPv4 and 1 IPv6 addresses.
func generatedState(enis count: Int) -> SimState {
    let enis = (1...count).map { n in
        let mac = "00:16:3e:00:\(hex(n >> 8)):\(hex(n & 0xff))"
        let net = "10.\(n >> 8).\(n & 0xff)"
        return SimENI(
            mac: mac, primary: n == 1, id: "eni-gen\(n)", primaryIP: "\(net).10",
            privateIPv4s: ["\(net).10", "\(net).11"], netmask: "255.255.255.0", gateway: "\(net).253",
            vswitchCIDR: "\(net).0/24", ipv6s: ["2408:4005:3a4:\(String(n, radix: 16))::10"],
            ipv6Gateway: "2408:4005:3a4:\(String(n, radix: 16)):ffff:ffff:ffff:fffd",
            vswitchIPv6CIDR: "2408:4005:3a4:\(String(n, radix: 16))::/64")
    }
    return SimState(instanceID: "i-gen", regionID: "cn-hangzhou", zoneID: "cn-hangzhou-k", enis: enis)
}

private func hex(_ n: Int) -> String { n < 16 ? "0" + String(n, radix: 16) : String(n, radix: 16) }

/// Short limits so that fault tests end quickly; the retry policy is the production one scaled
/// down.
func fastConfiguration(port: Int, tokenMode: Metadata.TokenMode = .auto) -> MetadataConfiguration {
    MetadataConfiguration(
        host: "127.0.0.1", port: port, tokenMode: tokenMode, connectTimeout: .seconds(3),
        requestTimeout: .seconds(3), readBudget: .seconds(30), maxAttempts: 4,
        retryBaseDelay: .milliseconds(10), retryMaxDelay: .milliseconds(50))
}

/// A simulator serving `state` and a client for it; both are stopped when `body` returns.
@discardableResult
func withSimulator<T>(
    _ state: SimState, faults: [SimFault] = [], tokenMode: Metadata.TokenMode = .auto,
    segmentation: IMDSSimulator.Segmentation = .whole,
    configure: (inout MetadataConfiguration) -> Void = { _ in },
    _ body: (IMDSSimulator, MetadataClient) async throws -> T
) async throws -> T {
    let simulator = IMDSSimulator(state: state, faults: faults, segmentation: segmentation)
    let port = try await simulator.start(host: "127.0.0.1", port: 0)
    var configuration = fastConfiguration(port: port, tokenMode: tokenMode)
    configure(&configuration)
    let client = MetadataClient(configuration: configuration)
    do {
        let result = try await body(simulator, client)
        await client.shutdown()
        try await simulator.stop()
        return result
    } catch {
        await client.shutdown()
        try? await simulator.stop()
        throw error
    }
}

/// Every address a read returned is one the simulator serves: faults may lose data, never make
/// it up.
func expectNothingInvented(_ network: InstanceNetwork, from state: SimState, sourceLocation: SourceLocation = #_sourceLocation) {
    var served = Set<String>()
    for eni in state.enis {
        served.formUnion(eni.privateIPv4s ?? [])
        served.formUnion(eni.ipv6s ?? [])
        served.formUnion([eni.primaryIP, eni.gateway, eni.ipv6Gateway].compactMap { $0 })
    }
    let canonical = Set(served.compactMap { IPAddress($0)?.description })
    for eni in network.enis {
        let read = eni.privateIPv4s.map(\.description) + eni.ipv6s.map(\.description)
            + [eni.primaryIPv4?.description, eni.gateway?.description, eni.ipv6Gateway?.description].compactMap { $0 }
        for address in read {
            #expect(canonical.contains(address), "\(address) on \(eni.mac) was never served", sourceLocation: sourceLocation)
        }
    }
}

extension ENI {
    var incompleteReason: String? {
        if case .incomplete(let reason) = completeness { return reason }
        return nil
    }
}

extension InstanceNetwork {
    func eni(_ mac: String) -> ENI? { eni(mac: MACAddress(mac)!) }
}

/// Polls `condition` every 10 ms until it holds, failing after `timeout`.
func waitUntil(
    timeout: Duration = .seconds(5), sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("condition not met within \(timeout)", sourceLocation: sourceLocation)
            throw CancellationError()
        }
        try await Task.sleep(for: .milliseconds(10))
    }
}

/// `task`'s result, waited for up to `timeout`: a hang guard, generous for a loaded machine,
/// never a measure of speed. nil, with an issue recorded, when it has not finished by then.
func result<T: Sendable>(
    of task: Task<T, any Error>, within timeout: Duration = .seconds(60), sourceLocation: SourceLocation = #_sourceLocation
) async -> Result<T, any Error>? {
    let (results, continuation) = AsyncStream<Result<T, any Error>?>.makeStream()
    let waiter = Task { continuation.yield(await task.result) }
    let guardTimer = Task {
        try? await Task.sleep(for: timeout)
        continuation.yield(nil)
    }
    var iterator = results.makeAsyncIterator()
    let first = await iterator.next() ?? nil
    guardTimer.cancel()
    continuation.finish()
    _ = waiter
    if first == nil { Issue.record("the task had not finished after \(timeout)", sourceLocation: sourceLocation) }
    return first
}
