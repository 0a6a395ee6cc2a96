// SPDX-License-Identifier: Apache-2.0
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Linux capabilities of this process, read from /proc/self/status (no libcap needed).
public enum Capabilities {
    static let netAdmin = 12

    /// True when the effective set holds CAP_NET_ADMIN: without it every change would fail
    /// with EPERM, so `--sync` refuses to start (exit 77) rather than half-apply.
    public static func hasNetAdmin() -> Bool {
        guard let status = try? TextFile.read("/proc/self/status") else { return false }
        for line in status.split(separator: "\n") where line.hasPrefix("CapEff:") {
            let hex = line.dropFirst("CapEff:".count).filter { $0 != " " && $0 != "\t" }
            guard let mask = UInt64(hex, radix: 16) else { return false }
            return mask & (1 << UInt64(netAdmin)) != 0
        }
        return false
    }
}
