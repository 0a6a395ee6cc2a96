// SPDX-License-Identifier: Apache-2.0
// Every reader of outside input, as a function of bytes that either returns or reports a broken
// invariant. libFuzzer drives them (`scripts/fuzz`, through `eni-agent-fuzz`); `InputTests`
// replays the committed corpus (`Tests/Fuzz/Corpus/<target>/`) through the same functions.
// A trap (overflow, out-of-range index) is a crash either way.

/// An invariant the input broke: the fuzzer turns it into a crash with this message.
public struct FuzzFailure: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

public struct FuzzTarget: Sendable {
    public var name: String
    /// What the target reads, for `scripts/fuzz --list`.
    public var reads: String
    public var run: @Sendable (UnsafeRawBufferPointer) throws -> Void

    /// Every target, by the name `scripts/fuzz` and the corpus directories use.
    public static let all: [FuzzTarget] = [
        metadataValues, eniAssembler, environmentFile, configValues, stateFile, durations, interfaceGlobs,
    ]

    public static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }
}

/// Checks an invariant.
func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
    if !condition { throw FuzzFailure(message()) }
}

/// Text as the agent reads it from a socket or a file: UTF-8, invalid sequences replaced.
func text(_ bytes: UnsafeRawBufferPointer) -> String {
    String(decoding: bytes, as: UTF8.self)
}

/// `bytes` cut at each NUL: one input carrying several values.
func fields(_ bytes: UnsafeRawBufferPointer) -> [String] {
    bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
}

/// No character that would break the log line or terminal it is printed on.
func isPrintable(_ text: String) -> Bool {
    !text.unicodeScalars.contains { $0.properties.generalCategory == .control }
}
