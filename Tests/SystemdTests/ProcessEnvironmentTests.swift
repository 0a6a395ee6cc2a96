// SPDX-License-Identifier: Apache-2.0
import Glibc
import Testing

@testable import Systemd

/// Everything that must set NOTIFY_SOCKET, WATCHDOG_* or JOURNAL_STREAM lives here: setenv is
/// process-wide, so these run one at a time and restore the environment after each test.
@Suite("Process environment", .serialized)
struct ProcessEnvironmentTests {
    @Suite("sd_notify") struct Notify {
        @Test("Each notification arrives as its own datagram with exactly its fields, in order")
        func notificationsArriveInOrder() throws {
            let socket = try DatagramSocket(path: uniqueTemporaryPath("notify") + ".sock")
            try withEnvironment(["NOTIFY_SOCKET": socket.path]) {
                let notifier = Notifier()
                #expect(notifier.isEnabled)

                #expect(notifier.ready(status: "syncing"))
                #expect(notifier.status("3 ENIs, 7 addresses"))
                #expect(notifier.watchdog())
                let before = monotonicMicrosecondsNow()
                #expect(notifier.reloading())
                let after = monotonicMicrosecondsNow()
                #expect(notifier.stopping(status: "stopping"))
                #expect(notifier.mainPID(4242))

                #expect(socket.receiveText() == "READY=1\nSTATUS=syncing")
                #expect(socket.receiveText() == "STATUS=3 ENIs, 7 addresses")
                #expect(socket.receiveText() == "WATCHDOG=1")
                let reloading = try #require(socket.receiveText()).split(separator: "\n")
                #expect(reloading.count == 2)
                #expect(reloading.first == "RELOADING=1")
                let stamp = try #require(reloading.last.flatMap { UInt64($0.dropFirst("MONOTONIC_USEC=".count)) })
                #expect(reloading.last?.hasPrefix("MONOTONIC_USEC=") == true)
                #expect((before...after).contains(stamp))
                #expect(socket.receiveText() == "STOPPING=1\nSTATUS=stopping")
                #expect(socket.receiveText() == "MAINPID=4242")
                #expect(socket.receive(within: 50) == nil, "no stray datagram")
            }
        }

        @Test("A bare READY and STOPPING carry no STATUS field")
        func readyAndStoppingWithoutStatus() throws {
            let socket = try DatagramSocket(path: uniqueTemporaryPath("notify") + ".sock")
            withEnvironment(["NOTIFY_SOCKET": socket.path]) {
                let notifier = Notifier()
                notifier.ready()
                notifier.stopping()
                #expect(socket.receiveText() == "READY=1")
                #expect(socket.receiveText() == "STOPPING=1")
            }
        }

        @Test("A newline in a value cannot inject a second field")
        func newlinesCannotInjectFields() throws {
            let socket = try DatagramSocket(path: uniqueTemporaryPath("notify") + ".sock")
            withEnvironment(["NOTIFY_SOCKET": socket.path]) {
                let notifier = Notifier()
                notifier.status("eni-1 bad value\nREADY=1")
                notifier.ready(status: "ok\r\nMAINPID=1")
                notifier.send(["STATUS": "x\nSTOPPING=1", "ERR\nNO": "5"])
                #expect(socket.receiveText() == "STATUS=eni-1 bad value READY=1")
                #expect(socket.receiveText() == "READY=1\nSTATUS=ok  MAINPID=1")
                #expect(socket.receiveText() == "ERR_NO=5\nSTATUS=x STOPPING=1")
            }
        }

        @Test("send puts all its fields in one datagram, sorted by key")
        func sendIsOneDatagram() throws {
            let socket = try DatagramSocket(path: uniqueTemporaryPath("notify") + ".sock")
            withEnvironment(["NOTIFY_SOCKET": socket.path]) {
                #expect(Notifier().send(["STATUS": "failed", "ERRNO": "2", "EXTEND_TIMEOUT_USEC": "5000000"]))
                #expect(socket.receiveText() == "ERRNO=2\nEXTEND_TIMEOUT_USEC=5000000\nSTATUS=failed")
                #expect(socket.receive(within: 50) == nil)
            }
        }

        @Test("Without NOTIFY_SOCKET every call is a harmless no-op")
        func noSocketIsNoOp() {
            withEnvironment(["NOTIFY_SOCKET": nil]) {
                let notifier = Notifier()
                #expect(!notifier.isEnabled)
                #expect(!notifier.ready(status: "x"))
                #expect(!notifier.status("x"))
                #expect(!notifier.watchdog())
                #expect(!notifier.reloading())
                #expect(!notifier.stopping())
                #expect(!notifier.mainPID(1))
                #expect(!notifier.send(["X": "1"]))
            }
        }

        @Test("A socket that vanished after start is reported as not delivered")
        func vanishedSocketIsReported() throws {
            let path = uniqueTemporaryPath("notify") + ".sock"
            try withEnvironment(["NOTIFY_SOCKET": path]) {
                try withExtendedLifetime(DatagramSocket(path: path)) {}
                let notifier = Notifier()
                #expect(notifier.isEnabled)
                #expect(!notifier.watchdog())
            }
        }
    }

    @Suite("Watchdog") struct Watchdog {
        @Test("WATCHDOG_USEC for our own pid gives the interval")
        func intervalForOurPID() {
            withEnvironment(["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": String(getpid())]) {
                #expect(Notifier().watchdogInterval == .seconds(30))
            }
        }

        @Test("WATCHDOG_USEC meant for another pid gives no interval")
        func noIntervalForAnotherPID() {
            withEnvironment(["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": String(getpid() + 1)]) {
                #expect(Notifier().watchdogInterval == nil)
            }
        }

        @Test("Without WATCHDOG_USEC there is no interval")
        func noIntervalWhenUnset() {
            withEnvironment(["WATCHDOG_USEC": nil, "WATCHDOG_PID": nil]) {
                #expect(Notifier().watchdogInterval == nil)
            }
        }

        @Test("A malformed WATCHDOG_USEC gives no interval rather than a failure")
        func malformedIntervalIsIgnored() {
            withEnvironment(["WATCHDOG_USEC": "soon", "WATCHDOG_PID": String(getpid())]) {
                #expect(Notifier().watchdogInterval == nil)
            }
        }
    }

    @Suite("JOURNAL_STREAM") struct JournalStreamDetection {
        @Test("automatic picks the journal when JOURNAL_STREAM names stderr's device and inode")
        func matchingStreamSelectsJournal() throws {
            let stderrIdentity = try deviceAndInode(of: STDERR_FILENO)
            withEnvironment(["JOURNAL_STREAM": stderrIdentity]) {
                #expect(SystemdLogHandler(label: "t").destination == .journal)
                #expect(SystemdLogHandler.Destination.automatic.resolved() == .journal)
            }
        }

        @Test("automatic picks stderr when JOURNAL_STREAM names another file")
        func otherStreamSelectsStandardError() throws {
            var status = stat()
            #expect(fstat(STDERR_FILENO, &status) == 0)
            withEnvironment(["JOURNAL_STREAM": "\(status.st_dev):\(status.st_ino + 1)"]) {
                #expect(SystemdLogHandler(label: "t").destination == .standardError)
            }
        }

        @Test("automatic picks stderr when JOURNAL_STREAM is unset")
        func unsetStreamSelectsStandardError() {
            withEnvironment(["JOURNAL_STREAM": nil]) {
                #expect(SystemdLogHandler(label: "t").destination == .standardError)
            }
        }

        @Test("An explicit destination is kept whatever the environment says")
        func explicitDestinationWins() throws {
            let stderrIdentity = try deviceAndInode(of: STDERR_FILENO)
            withEnvironment(["JOURNAL_STREAM": stderrIdentity]) {
                #expect(SystemdLogHandler(label: "t", destination: .standardError).destination == .standardError)
            }
        }
    }
}
