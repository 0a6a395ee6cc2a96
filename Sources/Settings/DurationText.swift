// SPDX-License-Identifier: Apache-2.0
/// Durations as the configuration writes them: `10s`, `500ms`, `2m`, `1h`, or a plain number of
/// seconds.
public enum DurationText {
    private static let units: [(suffix: String, millis: Int64)] = [("h", 3_600_000), ("m", 60_000), ("s", 1000)]

    /// nil for anything else, and for a number of hours or minutes too large to count in
    /// milliseconds (`3000000000000h`): the caller's range check never sees a wrapped value.
    public static func parse(_ text: String) -> Duration? {
        // "ms" first: "500ms" also ends in "s".
        for (suffix, millis) in [("ms", Int64(1))] + units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            guard let n = Int64(number), n >= 0 else { return nil }
            let (product, overflow) = n.multipliedReportingOverflow(by: millis)
            return overflow ? nil : .milliseconds(product)
        }
        guard let n = Int64(text), n >= 0 else { return nil }
        return .seconds(n)
    }

    /// The shortest form `parse` reads back as `duration`, in whole milliseconds (less is
    /// dropped); whole seconds where milliseconds would not fit.
    public static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow, case (let millis, false) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000_000_000) else {
            return "\(seconds)"
        }
        for (suffix, unit) in units where millis != 0 && millis % unit == 0 {
            return "\(millis / unit)\(suffix)"
        }
        return "\(millis)ms"
    }
}
