// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
import TestSupport

/// The command line of docs/design.md §6: `--dry-run`, the `--json` documents, `status`,
/// `--version`, usage errors and the CAP_NET_ADMIN check.
@Suite(.requiresRoot, .blockingWork) struct CLITests {
    /// `ip` syntax as `Op` renders it, then two spaces, `#` and the reason.
    static let opLine = #"^(-6 )?(link set dev \S+ up|address (add|del) .+|route (add|replace|del) .+|rule (add|del) .+)  # \S.*$"#

    static func isOpLine(_ line: String) -> Bool { line.range(of: opLine, options: .regularExpression) != nil }

    @Test func aDryRunChangesNothingAndPrintsOneIpLinePerOpWithItsReason() async throws {
        let lab = try await LabFixture.start()
        defer { lab.destroy() }
        try await lab.settle()
        let before = try await lab.kernelSnapshot()

        let text = try await lab.sync(["--dry-run"])
        #expect(text.status == 0, "\(text)")
        let lines = text.stdout.split(separator: "\n").map(String.init)
        let ops = lines.filter { !$0.hasPrefix("#") }
        #expect(!ops.isEmpty && ops.allSatisfy(Self.isOpLine), "\(ops.filter { !Self.isOpLine($0) })")
        #expect(ops.contains("link set dev eth1 up  # eni-bp1d66qjxb3qoin3ex02 is attached but its link is down"))
        #expect(ops.contains { $0.hasPrefix("address add 192.168.1.212/24 dev eth1 noprefixroute proto 233  # ") })
        #expect(ops.contains { $0.hasPrefix("-6 rule add from 2408:4005:3a4:ab00::221 lookup ") })
        #expect(!ops.contains { $0.contains(Sample.primaryAddress) && $0.hasPrefix("address") }, "the primary address is DHCP's")

        let json = try await lab.sync(["--dry-run", "--json"])
        #expect(json.status == 0, "\(json)")
        #expect(try Int(jq(".ops | length", json.stdout)) == ops.count)
        #expect(try jq("[.ops[] | .command + \"  # \" + .reason] | join(\"\\n\")", json.stdout) == ops.joined(separator: "\n"))

        #expect(try await lab.kernelSnapshot() == before)
        #expect(!FileManager.default.fileExists(atPath: lab.stateFilePath))

        // The same plan, applied, is exactly what a sync does.
        let applied = try await lab.sync(["--json"])
        #expect(try jq("[.ops[] | .command] | join(\"\\n\")", applied.stdout) == jq("[.ops[] | .command] | join(\"\\n\")", json.stdout))
        #expect(try await lab.sync(["--dry-run"]).stdout == "# nothing to do\n")
    }

    @Test func theSyncJSONDocumentsHaveEveryDocumentedField() async throws {
        let lab = try await LabFixture.start()
        defer { lab.destroy() }
        let documentFields = "[\"dryRun\",\"exitCode\",\"metadata\",\"notes\",\"ops\",\"phases\",\"summary\",\"syncId\"]"
        let phaseFields = "[\"apply\",\"kernelRead\",\"log\",\"metadata\",\"persist\",\"plan\"]"
        let opFields = "[\"action\",\"command\",\"eniId\",\"eniMac\",\"errno\",\"error\",\"ifname\",\"outcome\",\"reason\"]"

        let plan = try await lab.sync(["--dry-run", "--json"])
        #expect(plan.status == 0, "\(plan)")
        for (dryRun, result) in [(true, plan), (false, try await lab.sync(["--json"]))] {
            let doc = result.stdout
            #expect(try jq("keys | tojson", doc) == documentFields, "\(doc)")
            #expect(try jq(".phases | keys | tojson", doc) == phaseFields, "\(doc)")
            #expect(try jq(".dryRun", doc) == "\(dryRun)")
            #expect(try jq(".exitCode", doc) == "0")
            #expect(try jq(".syncId | type", doc) == "number")
            #expect(try jq(".summary | type", doc) == "string")
            #expect(try jq(".metadata | keys | tojson", doc) == "[\"reasons\",\"requests\",\"state\"]")
            #expect(try jq(".metadata.state", doc) == "complete")
            #expect(try Int(jq(".metadata.requests", doc)) ?? 0 > 0)
            #expect(try jq(".ops | length", doc) == "41", "3 ENIs: 2 links, 10 addresses, 1+10 routes, 20+2 rules")
            #expect(try jq("[.ops[] | keys | tojson] | unique | join(\" \")", doc) == opFields, "every op has every field, null when not relevant")
            #expect(try jq("[.ops[] | .outcome] | unique | join(\" \")", doc) == (dryRun ? "planned" : "applied"))
            #expect(try jq("[.ops[] | .action] | unique | join(\" \")", doc) == "add link-up")
            #expect(try jq("[.ops[] | select(.errno != null or .error != null)] | length", doc) == "0")
            #expect(try jq(".ops[] | select(.command == \"link set dev eth2 up\") | [.eniId, .eniMac, .ifname] | join(\" \")", doc)
                    == "eni-bp1d66qjxb3qoin3ex03 00:16:3e:00:00:03 eth2")
        }
        // Notes: the third run after the ENI of eth2 left metadata says why nothing was removed.
        try lab.admin("DELETE", "/_sim/enis/\(LabFixture.eth2MAC)")
        let noted = try await lab.sync(["--json"]).stdout
        #expect(try jq(".notes | map(keys | tojson) | unique | join(\" \")", noted) == "[\"level\",\"message\"]")
        #expect(try jq(".notes[] | select(.level == \"info\") | .message", noted).contains("wait for 2 consecutive complete"))
    }

    @Test func aFailedOperationIsReportedWithItsErrnoAndExits1() async throws {
        let lab = try await LabFixture.start()
        defer { lab.destroy() }
        // A real kernel refusal: with IPv6 disabled on eth2, its IPv6 address and routes fail.
        try lab.ecs.exec(["sysctl", "-qw", "net.ipv6.conf.eth2.disable_ipv6=1"])
        let result = try await lab.sync(["--json"])
        #expect(result.status == 1, "\(result)")
        #expect(try jq(".exitCode", result.stdout) == "1")
        let failed = try jq("[.ops[] | select(.outcome == \"failed\")] | length", result.stdout)
        #expect(Int(failed) ?? 0 > 0, "\(result.stdout)")
        #expect(try jq("[.ops[] | select(.outcome == \"failed\") | (.errno | type) + \" \" + (.error | type)] | unique | join(\",\")", result.stdout)
                == "number string")
        #expect(try jq("[.ops[] | select(.outcome == \"failed\") | .ifname] | unique | join(\",\")", result.stdout) == "eth2")
        // One failure aborts nothing else: eth1 and IPv4 of eth2 converged.
        #expect(try lab.addresses("eth1").count == 5)
        #expect(try lab.addresses("eth2").contains("192.168.1.222/24"))
        #expect(result.stderr.contains("operations failed"), "\(result.stderr)")
    }

    @Test func statusShowsEachENIWithOwnershipTablesRoutesRulesAndTheLastSync() async throws {
        let lab = try await LabFixture.start()
        defer { lab.destroy() }
        let empty = try await lab.cli(["status"])
        #expect(empty.status == 0, "\(empty)")
        #expect(empty.stdout.contains("none yet"))

        #expect(try await lab.sync().status == 0)
        // One address of each kind: stale (gone from metadata, waiting for the grace), missing
        // (deleted behind the agent's back), foreign (an administrator's).
        try lab.removeIPv4("192.168.1.213", from: LabFixture.eth1MAC)
        #expect(try await lab.sync().status == 0)
        try lab.ecs.ip("addr", "del", "192.168.1.212/24", "dev", "eth1")
        try lab.ecs.ip("addr", "add", "192.168.1.99/24", "dev", "eth1")

        let text = try await lab.cli(["status"])
        #expect(text.status == 0, "\(text)")
        let eth1 = try lab.linkIndex("eth1")
        let out = text.stdout
        #expect(out.contains("last sync #2 at ") && out.contains("converged"), "sync ids continue across runs")
        #expect(out.contains("eth1  eni-bp1d66qjxb3qoin3ex02  00:16:3e:00:00:02  secondary ENI, up, tables \(10000 + eth1)/\(20000 + eth1)"))
        #expect(out.contains("eth0  eni-bp1d66qjxb3qoin3ex01  00:16:3e:00:00:01  primary ENI, up"))
        #expect(out.range(of: #"192\.168\.1\.211/24 +owned  rules \#(10000 + eth1), \#(20000 + eth1)"#, options: .regularExpression) != nil)
        #expect(out.range(of: #"192\.168\.1\.212/24 +missing"#, options: .regularExpression) != nil)
        #expect(out.range(of: #"192\.168\.1\.213/24 +stale  rules"#, options: .regularExpression) != nil)
        #expect(out.range(of: #"192\.168\.1\.99/24 +foreign"#, options: .regularExpression) != nil)
        #expect(out.contains("route default via 192.168.1.253 dev eth1 onlink table \(20000 + eth1) proto 233"))
        #expect(out.contains("\nip rule from all lookup main suppress_prefixlength 0 priority 19999 proto 233"))
        #expect(out.contains("\nip -6 rule from all lookup main suppress_prefixlength 0 priority 19999 proto 233"))

        let json = try await lab.cli(["status", "--json"])
        #expect(json.status == 0, "\(json)")
        let doc = json.stdout
        #expect(try jq(".enis | length", doc) == "3")
        #expect(try jq(".lastSync.exitCode", doc) == "0")
        #expect(try jq(".stateFile", doc) == lab.stateFilePath)
        #expect(try jq(".sharedRules | join(\",\")", doc) == "from all lookup main suppress_prefixlength 0 priority 19999 proto 233,"
                + "-6 from all lookup main suppress_prefixlength 0 priority 19999 proto 233")
        let eni = ".enis[] | select(.ifname == \"eth1\")"
        #expect(try jq("\(eni) | [.mac, .id, .subnetTable, .defaultTable, .primary] | map(tostring) | join(\" \")", doc)
                == "00:16:3e:00:00:02 eni-bp1d66qjxb3qoin3ex02 \(10000 + eth1) \(20000 + eth1) false")
        #expect(try jq("\(eni) | .addresses[] | select(.address == \"192.168.1.212/24\") | .state", doc) == "missing")
        #expect(try jq("\(eni) | .addresses[] | select(.address == \"192.168.1.99/24\") | .state", doc) == "foreign")
        #expect(try jq("\(eni) | .addresses[] | select(.address == \"192.168.1.213/24\") | .state", doc) == "stale")
        #expect(try jq(".lastSync.id", doc) == "2")
        #expect(try jq("\(eni) | .addresses[] | select(.address == \"192.168.1.211/24\") | .rules | map(tostring) | join(\" \")", doc)
                == "\(10000 + eth1) \(20000 + eth1)")
        #expect(try Int(jq("\(eni) | .routes | length", doc)) == 5)
    }

    @Test func statusShowsAnENIGoneFromMetadataUntilTheGraceRemovesItsObjects() async throws {
        let lab = try await LabFixture.start()
        defer { lab.destroy() }
        #expect(try await lab.sync().status == 0)
        try lab.admin("DELETE", "/_sim/enis/\(LabFixture.eth2MAC)")
        #expect(try await lab.sync().status == 0)

        let text = try await lab.cli(["status"]).stdout
        #expect(text.contains("eth2  ?  00:16:3e:00:00:03  no longer in metadata"), "\(text)")
        #expect(text.range(of: #"192\.168\.1\.222/24 +stale  rules"#, options: .regularExpression) != nil, "\(text)")
        let doc = try await lab.cli(["status", "--json"]).stdout
        let eni = ".enis[] | select(.ifname == \"eth2\")"
        #expect(try jq("\(eni) | .inMetadata", doc) == "false")
        #expect(try jq("[\(eni) | .addresses[] | .state] | unique | join(\",\")", doc) == "stale")
        #expect(try jq("\(eni) | .addresses | length", doc) == "3")
        #expect(try jq("\(eni) | .routes | length", doc) == "5")

        #expect(try await lab.sync().status == 0)
        #expect(try jq("[.enis[] | select(.ifname == \"eth2\")] | length", await lab.cli(["status", "--json"]).stdout) == "0")
    }

    @Test func versionPrintsTheVersion() async throws {
        let lab = try await LabFixture.start()
        defer { lab.destroy() }
        let result = try await lab.agentExact(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout.range(of: #"^\d+\.\d+\.\d+\n$"#, options: .regularExpression) != nil, "\(result)")
    }

    @Test func aUsageErrorExits64() async throws {
        let lab = try await LabFixture.start()
        defer { lab.destroy() }
        try await lab.settle()
        let before = try await lab.kernelSnapshot()
        for args in [["--dry-run"], ["--sync", "--no-such-flag"], ["--json"], ["status", "--dry-run"], ["--sync", "extra"]] {
            let result = try await lab.cli(args)
            #expect(result.status == 64, "\(args): \(result)")
            #expect(!result.stderr.isEmpty, "\(args)")
        }
        #expect(try await lab.kernelSnapshot() == before)
        #expect(try lab.metadataRequests() == 0)
    }

    @Test func withoutCapNetAdminASyncExits77AndChangesNothingButADryRunWorks() async throws {
        let lab = try await LabFixture.start()
        defer { lab.destroy() }
        try await lab.settle()
        let before = try await lab.kernelSnapshot()
        let drop = ["setpriv", "--bounding-set=-net_admin", "--"]

        let result = try await lab.agentExact(["--sync", "--config", lab.configFile], prefix: drop)
        #expect(result.status == 77, "\(result)")
        #expect(result.stderr.contains("CAP_NET_ADMIN"), "\(result.stderr)")
        #expect(try await lab.kernelSnapshot() == before)
        #expect(try lab.metadataRequests() == 0, "refused before reading anything")

        let dry = try await lab.agentExact(["--sync", "--dry-run", "--config", lab.configFile], prefix: drop)
        #expect(dry.status == 0, "\(dry)")
        #expect(dry.stdout.split(separator: "\n").count == 41)
        let status = try await lab.agentExact(["status", "--config", lab.configFile], prefix: drop)
        #expect(status.status == 0, "\(status)")
        #expect(try await lab.kernelSnapshot() == before)
    }

    /// Without /proc the Swift runtime reads no arguments at all, not even the program's name,
    /// and `--version` ran the daemon. Run here in a mount namespace whose /proc is an empty
    /// tmpfs, and in an empty network namespace, so that a binary taking itself for the daemon
    /// finds nothing to change (and is killed by the timeout).
    @Test(arguments: [["--version"], ["--sync", "--dry-run"], ["status"]])
    func withoutProcTheEmptyCommandLineIsAUsageErrorThatSaysWhy(args: [String]) throws {
        let script = #"mount -t tmpfs none /proc && exec "$0" "$@""#
        let result = try Command.run(["unshare", "--mount", "--net", "sh", "-c", script, BuildProducts.path("eni-agent")] + args,
                                     timeout: .seconds(20))
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains("/proc is not mounted"), "\(result.stderr)")
        #expect(result.stdout.isEmpty, "\(result.stdout)")
    }

    /// `status` by a user who may not read the state file (the units keep it in a directory
    /// only root may enter) said "has not synced since boot", and called the agent's addresses
    /// foreign.
    @Test func statusWithoutPermissionToReadTheStateFileSaysSoAndExits77() async throws {
        let lab = try await LabFixture.start()
        defer { lab.destroy() }
        #expect(try await lab.sync().status == 0)
        let guarded = lab.directory + "/guarded"
        try FileManager.default.createDirectory(atPath: guarded, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        try FileManager.default.copyItem(atPath: lab.stateFilePath, toPath: guarded + "/state.json")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: lab.directory)
        let nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
        let result = try await lab.agentExact(["status"], environment: ["ENI_AGENT_STATE_DIR": guarded], prefix: nobody)
        #expect(result.status == 77, "\(result)")
        #expect(result.stderr.contains("permission denied: run as root"), "\(result.stderr)")
        #expect(!result.stdout.contains("has not synced"), "\(result.stdout)")
        // Root reads it.
        let root = try await lab.agentExact(["status"], environment: ["ENI_AGENT_STATE_DIR": guarded])
        #expect(root.status == 0 && root.stdout.contains("owned"), "\(root)")
    }
}
