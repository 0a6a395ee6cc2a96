// SPDX-License-Identifier: Apache-2.0
import Monitoring
import Testing

/// The text exposition format as node_exporter's textfile collector parses it.
@Suite struct ExpositionTests {
    /// A backslash, a double quote or a line feed in a label value (an interface name, an ENI
    /// id read from metadata) would end the value or the line early: each is escaped.
    @Test(arguments: [
        ("eth1", "eth1"),
        ("a\"b", "a\\\"b"),
        ("a\\b", "a\\\\b"),
        ("a\nb", "a\\nb"),
        ("\\\"\n", "\\\\\\\"\\n"),
        ("ené", "ené"),
    ])
    func labelValuesAreEscaped(raw: String, escaped: String) {
        #expect(Exposition.escapeLabel(raw) == escaped)
        let text = Exposition.render([MetricFamily("m", .gauge, help: "h", samples: [Sample([Label("l", raw)], 1)])])
        #expect(text.split(separator: "\n", omittingEmptySubsequences: false).count == 4)  // HELP, TYPE, sample, ""
        #expect(text.contains("m{l=\"\(escaped)\"} 1\n"))
    }

    @Test func helpEscapesBackslashAndLineFeedButNotQuotes() {
        #expect(Exposition.escapeHelp("a \"b\"\\\nc") == "a \"b\"\\\\\\nc")
    }

    @Test func valuesAreWrittenAsThePrometheusParserReadsThem() {
        #expect(Exposition.format(3) == "3")
        #expect(Exposition.format(0) == "0")
        #expect(Exposition.format(0.25) == "0.25")
        #expect(Exposition.format(1_765_000_000.5) == "1765000000.5")
        #expect(Exposition.format(.infinity) == "+Inf")
        #expect(Exposition.format(-.infinity) == "-Inf")
        #expect(Exposition.format(.nan) == "NaN")
    }

    @Test func aFamilyIsHelpTypeThenItsSamplesAndAnEmptyOneIsLeftOut() {
        let text = Exposition.render([
            MetricFamily("a_total", .counter, help: "A.", samples: [Sample([Label("x", "1"), Label("y", "2")], 5)]),
            MetricFamily("empty", .gauge, help: "Nothing.", samples: []),
            MetricFamily("b", .gauge, help: "B.", samples: [Sample(7)]),
        ])
        #expect(text == """
            # HELP a_total A.
            # TYPE a_total counter
            a_total{x="1",y="2"} 5
            # HELP b B.
            # TYPE b gauge
            b 7

            """)
    }

    @Test func names() {
        #expect(Exposition.isValidName("eni_agent_syncs_total"))
        #expect(Exposition.isValidName("a:b"))
        #expect(!Exposition.isValidName("a:b", label: true))
        #expect(!Exposition.isValidName("1a"))
        #expect(!Exposition.isValidName("a-b"))
        #expect(!Exposition.isValidName(""))
    }
}

@Suite struct HistogramTests {
    /// Buckets are cumulative and `le` is inclusive: an observation equal to a bound counts in
    /// that bucket; one past every bound only in `+Inf`.
    @Test func bucketsAreCumulativeWithInclusiveBounds() {
        var histogram = Histogram(bounds: [0.1, 1, 10])
        for value in [0.05, 0.1, 0.5, 1, 20] { histogram.observe(value) }
        let lines = Exposition.render([MetricFamily("d_seconds", .histogram, help: "D.", samples: histogram.samples())])
            .split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(lines == [
            "d_seconds_bucket{le=\"0.1\"} 2",
            "d_seconds_bucket{le=\"1\"} 4",
            "d_seconds_bucket{le=\"10\"} 4",
            "d_seconds_bucket{le=\"+Inf\"} 5",
            "d_seconds_sum 21.65",
            "d_seconds_count 5",
        ])
    }

    @Test func labelsComeBeforeLe() {
        var histogram = Histogram(bounds: [1])
        histogram.observe(2)
        let samples = histogram.samples([Label("source", "metadata")])
        #expect(samples.first?.labels == [Label("source", "metadata"), Label("le", "1")])
        #expect(samples.first?.value == 0)
        #expect(samples.last?.labels == [Label("source", "metadata")])
    }
}
