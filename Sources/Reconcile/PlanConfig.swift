public import Model

/// The configuration the planner needs; the CLI builds it from flags, environment and file.
public struct PlanConfig: Sendable, Hashable, Codable {
    public var scheme: RoutingScheme
    public var ipv6: Bool
    public var bringUpLinks: Bool
    /// Consecutive complete reads an owned object must be absent from before it is removed.
    public var removalGrace: Int
    public var ignored: InterfaceMatcher

    public init(scheme: RoutingScheme = .standard, ipv6: Bool = true, bringUpLinks: Bool = true,
                removalGrace: Int = 2, ignored: InterfaceMatcher = InterfaceMatcher()) {
        self.scheme = scheme
        self.ipv6 = ipv6
        self.bringUpLinks = bringUpLinks
        self.removalGrace = max(1, removalGrace)
        self.ignored = ignored
    }
}

/// Interfaces the agent must not manage: exact names, shell-style globs (`*`, `?`, `[...]`) on
/// the name, or MAC addresses.
public struct InterfaceMatcher: Sendable, Hashable, Codable {
    public var patterns: [String]

    public init(_ patterns: [String] = []) {
        self.patterns = patterns.filter { !$0.isEmpty }
    }

    public func matches(name: String, mac: MACAddress?) -> Bool {
        patterns.contains { pattern in
            if let patternMAC = MACAddress(pattern) { return patternMAC == mac }
            return Glob.matches(Array(pattern.utf8)[...], Array(name.utf8)[...])
        }
    }
}

/// fnmatch(3) without flags, over bytes: interface names are ASCII.
enum Glob {
    static func matches(_ pattern: ArraySlice<UInt8>, _ text: ArraySlice<UInt8>) -> Bool {
        var p = pattern.startIndex
        var t = text.startIndex
        var starP: Int?
        var starT = 0
        while t < text.endIndex {
            if p < pattern.endIndex, pattern[p] == UInt8(ascii: "*") {
                starP = p
                starT = t
                p += 1
                continue
            }
            if p < pattern.endIndex, let next = matchOne(pattern, p, text[t]) {
                p = next
                t += 1
                continue
            }
            guard let star = starP else { return false }
            p = star + 1
            starT += 1
            t = starT
        }
        while p < pattern.endIndex, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.endIndex
    }

    /// Matches one character at `p`; returns the index after the pattern element, or nil.
    private static func matchOne(_ pattern: ArraySlice<UInt8>, _ p: Int, _ c: UInt8) -> Int? {
        switch pattern[p] {
        case UInt8(ascii: "?"):
            return p + 1
        case UInt8(ascii: "["):
            var i = p + 1
            var negate = false
            if i < pattern.endIndex, pattern[i] == UInt8(ascii: "!") || pattern[i] == UInt8(ascii: "^") {
                negate = true
                i += 1
            }
            var matched = false
            var first = true
            while i < pattern.endIndex, first || pattern[i] != UInt8(ascii: "]") {
                first = false
                if i + 2 < pattern.endIndex, pattern[i + 1] == UInt8(ascii: "-"), pattern[i + 2] != UInt8(ascii: "]") {
                    if pattern[i] <= c && c <= pattern[i + 2] { matched = true }
                    i += 3
                } else {
                    if pattern[i] == c { matched = true }
                    i += 1
                }
            }
            guard i < pattern.endIndex else { return pattern[p] == c ? p + 1 : nil }  // no closing ]: literal [
            return matched != negate ? i + 1 : nil
        default:
            return pattern[p] == c ? p + 1 : nil
        }
    }
}
