// SPDX-License-Identifier: Apache-2.0
/// A Prometheus histogram: observations counted into buckets by upper bound, with their sum
/// and count. Kept per bucket; rendered cumulative, ending with `le="+Inf"` as the format wants.
public struct Histogram: Sendable, Hashable {
    /// Ascending, finite upper bounds; `+Inf` is implied.
    public let bounds: [Double]
    /// Observations per bucket, the last one past every bound.
    public private(set) var counts: [Int]
    public private(set) var sum = 0.0
    public private(set) var count = 0

    public init(bounds: [Double]) {
        precondition(zip(bounds, bounds.dropFirst()).allSatisfy { $0 < $1 } && bounds.allSatisfy(\.isFinite),
                     "histogram bounds must be finite and ascending")
        self.bounds = bounds
        counts = Array(repeating: 0, count: bounds.count + 1)
    }

    /// An observation falls into the first bucket whose bound it does not exceed (`le`).
    public mutating func observe(_ value: Double) {
        let index = bounds.firstIndex { value <= $0 } ?? bounds.count
        counts[index] += 1
        sum += value
        count += 1
    }

    /// The `_bucket` (cumulative), `_sum` and `_count` samples.
    public func samples(_ labels: [Label] = []) -> [Sample] {
        var samples: [Sample] = []
        var running = 0
        for (index, bound) in bounds.enumerated() {
            running += counts[index]
            samples.append(Sample(labels + [Label("le", Exposition.format(bound))], Double(running), suffix: "_bucket"))
        }
        samples.append(Sample(labels + [Label("le", "+Inf")], Double(count), suffix: "_bucket"))
        samples.append(Sample(labels, sum, suffix: "_sum"))
        samples.append(Sample(labels, Double(count), suffix: "_count"))
        return samples
    }
}
