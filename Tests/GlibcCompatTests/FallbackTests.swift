// SPDX-License-Identifier: Apache-2.0
import CGlibcCompat
import CGlibcCompatProbes
import Glibc
import Testing

/// Where getrandom(2) is refused (a kernel before 3.17: ENOSYS; a sandbox's seccomp filter:
/// EPERM) arc4random reads /dev/urandom instead. A seccomp filter on a thread of the test's own
/// makes the kernel refuse it for real.
@Suite struct Arc4randomFallbackTests {
    @Test(arguments: [ENOSYS, EPERM])
    func fillsFromDevURandomWhenGetrandomIsRefused(denial: Int32) throws {
        var seen = 0
        let n = 1 << 16
        let first = try withoutGetrandom(denial, n, &seen)
        #expect(seen == -Int(denial), "the filter did not refuse getrandom on the probe thread (it returned \(seen))")
        let statistic = chiSquare(byteCounts(first))
        #expect(uniformBytesChiSquare.contains(statistic), "chi-square \(statistic) over 64 KiB from the fallback")
        let second = try withoutGetrandom(denial, n, &seen)
        let repeated = first == second
        #expect(!repeated, "two fallback reads gave the same bytes")
    }

    private func withoutGetrandom(_ denial: Int32, _ n: Int, _ seen: inout Int) throws -> [UInt8] {
        var status: Int32 = 0
        var result = 0
        let bytes = randomBytes(n) { buffer, count in
            status = eni_probe_arc4random_buf_without_getrandom(denial, buffer, count, &result)
        }
        guard status == 0 else { throw ProbeError(errno: status) }
        seen = result
        return bytes
    }
}

struct ProbeError: Error, CustomStringConvertible {
    let errno: Int32
    var description: String {
        "could not run a thread with getrandom refused (seccomp filter): \(String(cString: strerror(errno)))"
    }
}
