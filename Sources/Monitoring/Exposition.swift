// SPDX-License-Identifier: Apache-2.0
/// Prometheus's text exposition format (version 0.0.4), the one node_exporter's textfile
/// collector reads: `# HELP` and `# TYPE` lines, then one line per sample. Label values and help
/// texts are escaped the way the format says (a backslash, a double quote in label values, a
/// line feed), so an interface name or an ENI id can never break a line or end a value early.
public struct MetricFamily: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case counter, gauge, histogram
    }

    public var name: String
    public var help: String
    public var kind: Kind
    public var samples: [Sample]

    public init(_ name: String, _ kind: Kind, help: String, samples: [Sample]) {
        self.name = name
        self.help = help
        self.kind = kind
        self.samples = samples
    }
}

/// One line: the family's name with `suffix` (`_bucket`, `_sum`, `_count` for a histogram).
public struct Sample: Sendable, Hashable {
    public var suffix: String
    public var labels: [Label]
    public var value: Double

    public init(_ labels: [Label], _ value: Double, suffix: String = "") {
        self.suffix = suffix
        self.labels = labels
        self.value = value
    }

    /// A sample without labels.
    public init(_ value: Double) {
        self.init([], value)
    }
}

public struct Label: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

public enum Exposition {
    /// The families in the order given, each with its HELP and TYPE lines; a family without
    /// samples is left out (its TYPE line alone would say nothing).
    public static func render(_ families: [MetricFamily]) -> String {
        var text = ""
        for family in families where !family.samples.isEmpty {
            text += "# HELP \(family.name) \(escapeHelp(family.help))\n"
            text += "# TYPE \(family.name) \(family.kind.rawValue)\n"
            for sample in family.samples {
                text += family.name + sample.suffix
                if !sample.labels.isEmpty {
                    text += "{" + sample.labels.map { "\($0.name)=\"\(escapeLabel($0.value))\"" }.joined(separator: ",") + "}"
                }
                text += " \(format(sample.value))\n"
            }
        }
        return text
    }

    /// A label value: backslash, double quote and line feed escaped.
    public static func escapeLabel(_ value: String) -> String {
        escape(value, quote: true)
    }

    /// A HELP text: backslash and line feed escaped (a quote is plain text there).
    public static func escapeHelp(_ text: String) -> String {
        escape(text, quote: false)
    }

    private static func escape(_ text: String, quote: Bool) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\"" where quote: out += "\\\""
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Integers without a fraction (counts read as counts), `+Inf`, `-Inf` and `NaN` as the
    /// format spells them, other values as Swift's shortest round-tripping form.
    public static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// A metric or label name is `[a-zA-Z_:][a-zA-Z0-9_:]*` (label names without `:`).
    public static func isValidName(_ name: String, label: Bool = false) -> Bool {
        guard let first = name.unicodeScalars.first else { return false }
        func allowed(_ c: Unicode.Scalar, leading: Bool) -> Bool {
            (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_" || (!label && c == ":") || (!leading && c >= "0" && c <= "9")
        }
        return allowed(first, leading: true) && name.unicodeScalars.dropFirst().allSatisfy { allowed($0, leading: false) }
    }
}
