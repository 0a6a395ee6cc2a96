// SPDX-License-Identifier: Apache-2.0
import CGlibcCompat
import Testing

/// The arc4random family the release binary carries for glibc 2.28 (Sources/CGlibcCompat).
/// Statistical bounds are set so that a correct implementation fails less than once in ten
/// million runs, while a stuck bit, a counter, a repeated buffer or a modulo bias fails every time.
@Suite struct Arc4randomTests {
    @Test func bufferBytesAreUniformlyDistributed() {
        let bytes = randomBytes(1 << 20) { eni_arc4random_buf($0, $1) }
        let statistic = chiSquare(byteCounts(bytes))
        #expect(uniformBytesChiSquare.contains(statistic), "chi-square \(statistic) over 1 MiB")
    }

    @Test func sixtyFourBitDrawsNeverRepeat() {
        // 100,000 draws from 2^64 values: a repeat has probability 3e-10.
        let n = 100_000
        let words = randomBytes(8 * n) { eni_arc4random_buf($0, $1) }.withUnsafeBytes { raw in
            (0..<n).map { raw.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self) }
        }
        #expect(Set(words).count == n)
        let pairs = (0..<n).map { _ in UInt64(eni_arc4random()) << 32 | UInt64(eni_arc4random()) }
        #expect(Set(pairs).count == n)
    }

    @Test func everyBitOfArc4randomIsSetHalfTheTime() {
        let n = 65_536
        var ones = [Int](repeating: 0, count: 32)
        for _ in 0..<n {
            let value = eni_arc4random()
            for bit in 0..<32 where value & (1 << bit) != 0 { ones[bit] += 1 }
        }
        // Standard deviation 128: ±1,500 is beyond 11 of them.
        let off = ones.enumerated().filter { abs($0.element - n / 2) > 1_500 }
        #expect(off.isEmpty, "bits set far from half the time (bit, count): \(off)")
    }

    @Test(arguments: [0, 1, 3, 7, 8, 255, 4_096, (1 << 20) + 3])
    func bufferOfEverySizeIsFilledAndNotOverrun(size: Int) {
        let guardBytes = 16
        var buffer = [UInt8](repeating: 0xAA, count: size + guardBytes)
        buffer.withUnsafeMutableBytes { eni_arc4random_buf($0.baseAddress, size) }
        #expect(buffer[size...].allSatisfy { $0 == 0xAA }, "bytes after the \(size) asked for were written")
        // Each byte keeps the old value with probability 1/256.
        let unchanged = buffer[..<size].filter { $0 == 0xAA }.count
        #expect(unchanged <= size / 16 + 3, "\(unchanged) of \(size) bytes kept their old value")
    }

    @Test func uniformIsZeroBelowTwo() {
        for bound: UInt32 in [0, 1] {
            #expect((0..<1_000).allSatisfy { _ in eni_arc4random_uniform(bound) == 0 })
        }
    }

    @Test(arguments: [2, 3, 7, 10, 1_000, 0x8000_0001, 0xC000_0000, UInt32.max] as [UInt32])
    func uniformStaysBelowItsBound(bound: UInt32) {
        let draws = (0..<20_000).map { _ in eni_arc4random_uniform(bound) }
        #expect(draws.allSatisfy { $0 < bound })
        // Both halves of the range are reached.
        #expect(draws.contains { $0 < bound / 2 } && draws.contains { $0 >= bound / 2 })
    }

    @Test func uniformIsEvenOverSmallBounds() {
        for bound: UInt32 in [3, 7, 10] {
            var counts = [Int](repeating: 0, count: Int(bound))
            for _ in 0..<70_000 { counts[Int(eni_arc4random_uniform(bound))] += 1 }
            // At most 9 degrees of freedom: a chi-square above 50 has probability below 1e-7.
            #expect(chiSquare(counts) < 50, "bound \(bound): \(counts)")
        }
    }

    @Test func uniformHasNoModuloBias() {
        // With 3 * 2^30 as the bound, `arc4random() % bound` gives the lowest 2^30 results two
        // ways out of 2^32, so half the draws land there; uniformly, a third.
        let bound: UInt32 = 0xC000_0000
        let n = 30_000
        let low = (0..<n).filter { _ in eni_arc4random_uniform(bound) < 1 << 30 }.count
        let share = Double(low) / Double(n)
        #expect((0.30...0.37).contains(share), "share below 2^30: \(share), a third expected")
    }
}
