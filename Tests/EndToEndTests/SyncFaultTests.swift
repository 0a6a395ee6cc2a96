// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
import TestSupport

/// docs/design.md §4.2: a failed, timed-out, throttled, malformed or partial metadata read removes
/// nothing, and `--sync` says so with exit 69. Every scenario starts from a converged lab with
/// `ENI_AGENT_REMOVAL_GRACE=1` and an address already gone from metadata, so that any sync that
/// took a faulty read for a complete one would remove it at once; after the fault is lifted the
/// next sync does remove it, which proves the setup would have caught a wrong removal.
@Suite(.requiresRoot, .blockingWork) struct SyncFaultTests {
    /// A fault on every request to `macs/`, as `PUT /_sim/faults` takes it.
    enum MacsFault: String, CaseIterable, CustomTestStringConvertible {
        case serverError, throttled, dropped, garbage, timeout

        var json: String {
            let path = LabFixture.macsPath
            switch self {
            case .serverError: return #"[{"path": "\#(path)", "status": 500}]"#
            case .throttled: return #"[{"path": "\#(path)", "status": 429}]"#
            case .dropped: return #"[{"path": "\#(path)", "drop": true}]"#
            case .garbage: return #"[{"path": "\#(path)", "garbage": true}]"#
            // Longer than the per-request timeout the test sets below.
            case .timeout: return #"[{"path": "\#(path)", "delayMs": 3000}]"#
            }
        }

        var testDescription: String { rawValue }
    }

    static let timeoutEnvironment = ["ENI_AGENT_IMDS_TIMEOUT": "200ms"]

    /// Converged, settled, and 192.168.1.213 already removed from metadata.
    func armedLab() async throws -> LabFixture {
        let lab = try await LabFixture.start(config: "ENI_AGENT_REMOVAL_GRACE=1")
        do {
            let first = try await lab.sync()
            #expect(first.status == 0, "\(first)")
            try await lab.settle()
            try lab.removeIPv4("192.168.1.213", from: LabFixture.eth1MAC)
            return lab
        } catch {
            lab.destroy()
            throw error
        }
    }

    /// The sync after the fault is lifted removes the address the faulty one had to keep.
    func expectRecovery(_ lab: LabFixture, environment: [String: String] = [:]) async throws {
        let result = try await lab.sync(environment: environment)
        #expect(result.status == 0, "\(result)")
        #expect(!(try lab.addresses("eth1")).contains("192.168.1.213/24"))
    }

    @Test(arguments: MacsFault.allCases)
    func aFaultyMacsListingRemovesNothingAndExits69(fault: MacsFault) async throws {
        let lab = try await armedLab()
        defer { lab.destroy() }
        try await lab.settle()
        let before = try await lab.kernelSnapshot()
        try lab.setFaults(fault.json)

        let clock = ContinuousClock()
        let started = clock.now
        let macsBefore = DaemonHotplugTests.reads(lab)
        let result = try await lab.sync(["--json"], environment: Self.timeoutEnvironment)
        let elapsed = started.duration(to: clock.now)
        let macsRequests = DaemonHotplugTests.reads(lab) - macsBefore
        #expect(result.status == 69, "\(result)")
        #expect(try await lab.kernelSnapshot() == before)
        #expect(try jq(".metadata.state", result.stdout) == "unavailable", "\(result.stdout)")
        #expect(try jq("[.ops[] | select(.action == \"remove\")] | length", result.stdout) == "0")
        #expect(result.stderr.contains("nothing removed"), "\(result.stderr)")
        #expect(try jq(".lastSync.exitCode", lab.stateFileText()) == "69")
        // The read gives up after its attempts (6 per key, each sent once more on a new
        // connection if a reused one lost it), not when its 20 s budget runs out.
        #expect((1...12).contains(macsRequests), "\(fault): \(macsRequests) requests for macs/")
        print("[measure] fault \(fault): --sync exited \(result.status) after \(elapsed), \(macsRequests) requests for macs/")

        try lab.admin("DELETE", "/_sim/faults")
        try await expectRecovery(lab, environment: Self.timeoutEnvironment)
    }

    @Test func theSimulatorDownRemovesNothingAndExits69() async throws {
        let lab = try await armedLab()
        defer { lab.destroy() }
        try await lab.settle()
        let before = try await lab.kernelSnapshot()
        lab.sim.signal(SIGKILL)
        #expect(await lab.sim.wait(timeout: .seconds(5)) != nil)

        let result = try await lab.sync(["--json"])
        #expect(result.status == 69, "\(result)")
        #expect(try await lab.kernelSnapshot() == before)
        #expect(try jq(".metadata.state", result.stdout) == "unavailable")
        #expect(try jq(".ops | length", result.stdout) == "0")
        #expect(try lab.addresses("eth1").contains("192.168.1.213/24"))
    }

    /// Issue 16: one ENI's failed read held removals on every ENI.
    @Test func a404OnOneENIsPrivateIPv4sHoldsThatENIsRemovalsOnly() async throws {
        let lab = try await armedLab()
        defer { lab.destroy() }
        try lab.addIPv4("192.168.1.214", to: LabFixture.eth1MAC)
        let eth2Before = try lab.addresses("eth2")
        try lab.setFaults(#"[{"path": "\#(LabFixture.macsPath)\#(LabFixture.eth2MAC)/private-ipv4s", "status": 404}]"#)

        let result = try await lab.sync(["--json"])
        #expect(result.status == 69, "\(result)")
        #expect(try jq(".metadata.state", result.stdout) == "incomplete")
        #expect(try jq(".metadata.reasons | join(\" \")", result.stdout).contains("eni-bp1d66qjxb3qoin3ex03"), "\(result.stdout)")
        // The complete ENI converged both ways: the new address with its rules, the
        // unassigned one removed.
        #expect(try lab.addresses("eth1").contains("192.168.1.214/24"))
        #expect(!(try lab.addresses("eth1")).contains("192.168.1.213/24"))
        // The incomplete one kept everything.
        #expect(try lab.addresses("eth2") == eth2Before)

        try lab.admin("DELETE", "/_sim/faults")
        try await expectRecovery(lab)
        #expect(try lab.addresses("eth2") == eth2Before)
    }

    @Test func anAddressOutsideTheVSwitchIsRejectedByNameAndHoldsItsENIsRemovalsOnly() async throws {
        let lab = try await armedLab()
        defer { lab.destroy() }
        try lab.editENI(LabFixture.eth2MAC) { $0["privateIpv4s"] = Sample.eth2IPv4 + ["10.0.0.5", "192.168.1.223"] }

        let result = try await lab.sync(["--json"])
        #expect(result.status == 69, "\(result)")
        #expect(try jq(".metadata.state", result.stdout) == "incomplete")
        #expect(result.stderr.contains("eni-bp1d66qjxb3qoin3ex03 private-ipv4s 10.0.0.5 rejected: outside vSwitch 192.168.1.0/24"),
                "\(result.stderr)")
        #expect(!(try lab.addresses("eth2")).contains { $0.hasPrefix("10.0.0.5") })
        #expect(try lab.addresses("eth2").contains("192.168.1.223/24"), "the valid addition is certain")
        #expect(!(try lab.addresses("eth1")).contains("192.168.1.213/24"), "eth1's metadata is valid: its removal goes ahead")
    }

    @Test func anUnusableEntryIsSkippedAndTheRestOfItsListManaged() async throws {
        let lab = try await armedLab()
        defer { lab.destroy() }
        try lab.editENI(LabFixture.eth2MAC) { $0["privateIpv4s"] = Sample.eth2IPv4 + ["127.0.0.1", "0.0.0.0", "192.168.1.223"] }

        let result = try await lab.sync(["--json"])
        #expect(result.status == 69, "\(result)")
        #expect(result.stderr.contains("127.0.0.1 is a loopback address: entry skipped"), "\(result.stderr)")
        #expect(try lab.addresses("eth2").contains("192.168.1.223/24"))
        #expect(!(try lab.addresses("eth2")).contains { $0.hasPrefix("127.") || $0.hasPrefix("0.") })
        #expect(!(try lab.addresses("eth1")).contains("192.168.1.213/24"))
    }

    @Test func aServiceThatRequiresTokensFailsWithTokensOffAndWorksWithAuto() async throws {
        let lab = try await armedLab()
        defer { lab.destroy() }
        try await lab.settle()
        let before = try await lab.kernelSnapshot()
        try lab.setTokenMode("required")
        try lab.admin("DELETE", "/_sim/counters")

        let off = try await lab.sync(["--json"], environment: ["ENI_AGENT_IMDS_TOKEN": "off"])
        #expect(off.status == 69, "\(off)")
        #expect(try jq(".metadata.reasons | join(\" \")", off.stdout).contains("403"), "\(off.stdout)")
        #expect(try await lab.kernelSnapshot() == before)
        let counters = try lab.admin("GET", "/_sim/counters")
        #expect(try jq(".tokenRequests", counters) == "0" && jq(".total", counters) != "0", "off never asks for a token: \(counters)")

        try await expectRecovery(lab, environment: ["ENI_AGENT_IMDS_TOKEN": "auto"])
    }
}
