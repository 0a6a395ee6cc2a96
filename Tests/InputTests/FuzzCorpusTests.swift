// SPDX-License-Identifier: Apache-2.0
import Foundation
import FuzzTargets
import Testing

/// The committed fuzz corpus (Tests/Fuzz/Corpus/<target>/, seeds and what the fuzzer found)
/// through every target's invariants on every test run, without libFuzzer: a regression of an
/// input the fuzzer once found fails here too.
@Suite struct FuzzCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/Corpus").path

    @Test func everyTargetHasASeedCorpusAndEveryCorpusATarget() throws {
        let directories = try FileManager.default.contentsOfDirectory(atPath: Self.corpus).sorted()
        #expect(directories == FuzzTarget.all.map(\.name).sorted())
    }

    @Test(arguments: FuzzTarget.all.map(\.name))
    func everyCorpusInputKeepsTheTargetsInvariants(name: String) throws {
        let target = try #require(FuzzTarget.named(name))
        let directory = Self.corpus + "/" + name
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(!files.isEmpty)
        for file in files {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + file))
            #expect(throws: Never.self, "\(name)/\(file)") {
                try bytes.withUnsafeBytes { try target.run($0) }
            }
        }
    }
}
