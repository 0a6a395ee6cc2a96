// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing
import TestSupport

/// The state file is read, never trusted (docs/design.md §4.8): a damaged one is reported once,
/// what validates is used, and the next sync replaces it.
@Suite(.requiresRoot, .blockingWork) struct StateFileTests {
    func edit(_ path: String, _ change: (inout [String: Any]) -> Void) throws {
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        change(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
    }

    /// `lastSync.id` at Int.max: the next sync's `id + 1` trapped (SIGILL, exit 132), every time,
    /// so the boot-time `--sync` and the daemon both died until someone deleted the file.
    @Test func aSyncIDAtIntMaxIsReportedOnceAndReplaced() async throws {
        let lab = try await LabFixture.start()
        defer { lab.destroy() }
        #expect(try await lab.sync().status == 0)
        try edit(lab.stateFilePath) { state in
            var last = state["lastSync"] as! [String: Any]
            last["id"] = Int.max
            state["lastSync"] = last
        }
        let result = try await lab.sync(["--json"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.contains("state file \(lab.stateFilePath) is damaged") && result.stderr.contains("\(Int.max)"), "\(result.stderr)")
        #expect(try jq(".syncId", result.stdout) == "1")

        let next = try await lab.sync()
        #expect(next.status == 0 && !next.stderr.contains("damaged"), "replaced, so reported once: \(next)")
        #expect(try jq(".lastSync.id", String(contentsOfFile: lab.stateFilePath, encoding: .utf8)) == "2")
    }

    /// `eni-agent status` opens the state file once: it read it twice (a permission and damage
    /// check, then the report), and a daemon writing between the two could make them disagree.
    @Test func statusReadsTheStateFileOnce() async throws {
        let lab = try await LabFixture.start()
        defer { lab.destroy() }
        #expect(try await lab.sync().status == 0)
        let fd = inotify_init1(O_NONBLOCK | O_CLOEXEC)
        try #require(fd >= 0)
        defer { close(fd) }
        let inOpen: UInt32 = 0x20  // IN_OPEN
        // IN_CLOSE_NOWRITE too: inotify merges identical events queued back to back, and an
        // open, a close, an open are not.
        try #require(inotify_add_watch(fd, lab.stateFilePath, inOpen | 0x10) >= 0)

        let status = try await lab.cli(["status", "--json"])
        #expect(status.status == 0, "\(status)")
        var opens = 0
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buffer, buffer.count)
            guard n > 0 else { break }
            var offset = 0
            // struct inotify_event: wd, mask, cookie, len (4 bytes each), then len bytes of name.
            while offset + 16 <= n {
                let word = { (i: Int) in buffer[(offset + 4 * i)..<(offset + 4 * i + 4)].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
                if word(1) & inOpen != 0 { opens += 1 }
                offset += 16 + Int(word(3))
            }
        }
        #expect(opens == 1, "status opened the state file \(opens) times")
    }
}
