// SPDX-License-Identifier: Apache-2.0
/// Pearson's chi-square statistic of `counts` against equally likely outcomes.
func chiSquare(_ counts: [Int]) -> Double {
    let total = counts.reduce(0, +)
    let expected = Double(total) / Double(counts.count)
    return counts.reduce(0.0) { sum, count in
        let d = Double(count) - expected
        return sum + d * d / expected
    }
}

/// How often each byte value occurs.
func byteCounts(_ bytes: [UInt8]) -> [Int] {
    var counts = [Int](repeating: 0, count: 256)
    for b in bytes { counts[Int(b)] += 1 }
    return counts
}

/// The bounds a uniform byte histogram's chi-square (255 degrees of freedom, mean 255) stays
/// within except with a probability below 1e-7 each way: above catches a skew, below catches
/// output too even to be random (a counter).
let uniformBytesChiSquare = 150.0...420.0

func randomBytes(_ n: Int, _ fill: (UnsafeMutableRawPointer?, Int) -> Void) -> [UInt8] {
    [UInt8](unsafeUninitializedCapacity: n) { buffer, count in
        fill(UnsafeMutableRawPointer(buffer.baseAddress), n)
        count = n
    }
}
