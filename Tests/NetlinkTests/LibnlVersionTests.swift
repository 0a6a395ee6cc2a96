// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing

extension NetlinkSuite {
    /// The binary must run where libnl 3.4 is installed (EL 8, Debian 11, Ubuntu 20.04): every
    /// libnl function it calls must exist there. This test binary holds the `Netlink` module as
    /// the agent does, so its imports from libnl are the agent's.
    @Suite struct LibnlVersionTests {
        @Test func everyLibnlFunctionTheBinaryCallsExistsInLibnl34() async throws {
            let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
            let imported = try await Self.symbols(["nm", "-D", "--undefined-only", exe])
            var fromLibnl: Set<Substring> = []
            for library in ["libnl-3.so.200", "libnl-route-3.so.200"] {
                let path = try #require(Self.libraryPath(library), "\(library) is installed (libnl-3-200, libnl-route-3-200)")
                fromLibnl.formUnion(imported.intersection(try await Self.symbols(["nm", "-D", "--defined-only", path])))
            }
            print("libnl: the binary calls \(fromLibnl.count) libnl functions")
            #expect(fromLibnl.contains("rtnl_route_build_add_request") && fromLibnl.contains("nl_msg_parse"),
                     "libnl-route builds and parses the messages: \(fromLibnl.sorted())")
            let newer = fromLibnl.subtracting(Libnl34.functions)
            #expect(newer.isEmpty, "not in libnl 3.4: \(newer.sorted())")
        }

        /// Symbol names `nm` prints (the last field of each line, version suffix dropped).
        static func symbols(_ argv: [String]) async throws -> Set<Substring> {
            let ran = try await blocking { try Spawn.run(argv) }
            guard ran.status == 0 else { throw TestFailure("\(ran)") }
            return Set(ran.stdout.split(separator: "\n").compactMap { line in
                line.split(separator: " ").last.map { $0.split(separator: "@").first ?? $0 }
            })
        }

        static func libraryPath(_ name: String) -> String? {
            ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib"].map { "\($0)/\(name)" }
                .first { FileManager.default.fileExists(atPath: $0) }
        }
    }
}
