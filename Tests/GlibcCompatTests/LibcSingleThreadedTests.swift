// SPDX-License-Identifier: Apache-2.0
import CGlibcCompat
import Testing

@Suite struct SingleThreadedTests {
    /// libstdc++ skips atomic reference counting while this reads true, and nothing here can
    /// tell when the process creates its first thread: it must read false from the start.
    @Test func libcSingleThreadedIsAlwaysFalse() {
        #expect(eni_libc_single_threaded() == 0)
    }
}
