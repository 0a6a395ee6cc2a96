// SPDX-License-Identifier: Apache-2.0
import Testing

/// The test's reading of the daemon's plain log lines: what the other daemon tests rely on.
@Suite struct DaemonLogLineTests {
    @Test func aPlainLineSplitsIntoLevelMessageAndFields() {
        let line = LogLine(#"notice: removed 192.168.1.202/24 from eth0 (eni-x): no longer in metadata action=remove address=192.168.1.202 eni_mac=00:16:3e:00:00:01 ifname=eth0 op="address del 192.168.1.202/24 dev eth0 \"q\"" sync_id=7"#)
        #expect(line.level == "notice")
        #expect(line.message == "removed 192.168.1.202/24 from eth0 (eni-x): no longer in metadata")
        #expect(line.fields == ["action": "remove", "address": "192.168.1.202", "eni_mac": "00:16:3e:00:00:01", "ifname": "eth0",
                                "op": #"address del 192.168.1.202/24 dev eth0 "q""#, "sync_id": "7"])
    }
}
