// SPDX-License-Identifier: Apache-2.0
import PropertyBased
import Settings
import Testing

/// Durations in the configuration (docs/design.md §6): the text a user writes, and values that
/// cannot be counted in milliseconds, which used to wrap before the range check ever saw them.
@Suite struct DurationTextTests {
    @Test(arguments: [("500ms", Duration.milliseconds(500)), ("10s", .seconds(10)), ("2m", .seconds(120)), ("1h", .seconds(3600)),
                      ("7", .seconds(7)), ("0", .zero), ("0ms", .zero)])
    func aWrittenDurationMeansWhatItSays(text: String, duration: Duration) {
        #expect(DurationText.parse(text) == duration)
    }

    @Test(arguments: ["", "s", "ms", "-1s", "10 s", "1.5s", "10parsecs", "1d", "0x10s", "9223372036854775808"])
    func anythingElseIsNotADuration(text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    /// The largest count of each unit that fits in 64-bit milliseconds, and the next one.
    @Test(arguments: [("h", Int64(3_600_000)), ("m", 60_000), ("s", 1000), ("ms", 1)])
    func aCountTooLargeForMillisecondsIsNotADuration(unit: String, millis: Int64) {
        let largest = Int64.max / millis
        #expect(DurationText.parse("\(largest)\(unit)") == .milliseconds(largest * millis))
        if millis > 1 { #expect(DurationText.parse("\(largest + 1)\(unit)") == nil) }
    }

    @Test func theIssuesValueIsNotADuration() {
        #expect(DurationText.parse("3000000000000h") == nil)
    }

    @Test func formatReadsBackAsTheSameDuration() async {
        await propertyCheck(count: 500, input: Gen.int64(in: 0...Int64.max)) { millis in
            let duration = Duration.milliseconds(millis)
            #expect(DurationText.parse(DurationText.format(duration)) == duration, "\(millis) ms")
        }
        let huge = Duration.seconds(Int64.max)
        #expect(DurationText.parse(DurationText.format(huge)) == huge)
    }
}
