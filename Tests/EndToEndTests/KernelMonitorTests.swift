// SPDX-License-Identifier: Apache-2.0
import Testing

/// How the daemon tests read `ip -ts monitor`: times that hold across midnight.
@Suite struct KernelMonitorTests {
    @Test func aRestoreAcrossMidnightTakesItsRealTime() throws {
        let deleted = try #require(KernelMonitor.event("[2026-11-23T23:59:59.900000] Deleted 3: eth1    inet 192.168.1.212/24"))
        let added = try #require(KernelMonitor.event("[2026-11-24T00:00:00.050000] 3: eth1    inet 192.168.1.212/24"))
        #expect(deleted.deleted && !added.deleted)
        #expect(abs(added.at - deleted.at - 0.15) < 1e-6, "\(added.at - deleted.at)")
        // Month and year ends too.
        let newYear = try #require(KernelMonitor.event("[2027-01-01T00:00:00.000000] 3: eth1    inet 192.168.1.212/24"))
        let eve = try #require(KernelMonitor.event("[2026-12-31T23:59:59.000000] 3: eth1    inet 192.168.1.212/24"))
        #expect(newYear.at - eve.at == 1)
    }

    @Test func civilTimeCountsFromTheEpoch() {
        #expect(KernelMonitor.seconds(year: 1970, month: 1, day: 1, hour: 0, minute: 0, second: 0) == 0)
        #expect(KernelMonitor.seconds(year: 2000, month: 3, day: 1, hour: 0, minute: 0, second: 0) == 951_868_800)
        #expect(KernelMonitor.seconds(year: 2024, month: 2, day: 29, hour: 12, minute: 0, second: 0) == 1_709_208_000)
    }
}
