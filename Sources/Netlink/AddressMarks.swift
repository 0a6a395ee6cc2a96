// SPDX-License-Identifier: Apache-2.0
#if canImport(Glibc)
import Glibc
#endif

/// Whether this process uses the kernel's address marks (`IFA_PROTO`, Linux 6.1+) at all.
///
/// A kernel before 6.1 (Alibaba Cloud Linux 3 runs 5.10) drops `IFA_PROTO` from the requests it
/// is sent and reports none in its dumps and events: ownership of addresses then rests on the
/// state file alone (docs/design.md §3, §4.8). Tests reach that path on a newer kernel with
/// `ENIAGENT_TEST_NO_IFA_PROTO=1` in the environment: the agent neither writes `IFA_PROTO` on
/// the addresses it adds nor reads it from the kernel, exactly as such a kernel behaves. For
/// tests only (docs/design.md §8); it is not a setting, and the configuration loader, which
/// owns the `ENI_AGENT_` names, does not know it.
public enum AddressMarks {
    public static let testSwitch = "ENIAGENT_TEST_NO_IFA_PROTO"

    /// Read once, at first use: the whole process sees one kind of kernel.
    public static let ignored: Bool = getenv(testSwitch).map { String(cString: $0) == "1" } ?? false
}
