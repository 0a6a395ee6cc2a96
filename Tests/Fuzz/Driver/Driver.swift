// SPDX-License-Identifier: Apache-2.0
// `eni-agent-fuzz`: built by `scripts/fuzz` with `--sanitize=fuzzer -DFUZZING`, it is a libFuzzer
// binary running the target named by ENI_AGENT_FUZZ_TARGET. Built plainly (as `swift build`
// does), it replays inputs: `eni-agent-fuzz TARGET FILE...`, exit 1 at the first that fails.
import FuzzTargets
#if canImport(Glibc)
import Glibc
#endif

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    do {
        try Selected.target.run(UnsafeRawBufferPointer(start: data, count: size))
    } catch {
        fatalError("\(Selected.target.name): \(error)")
    }
    return 0
}

enum Selected {
    static let target: FuzzTarget = {
        let names = FuzzTarget.all.map(\.name).joined(separator: ", ")
        guard let name = getenv("ENI_AGENT_FUZZ_TARGET").map({ String(cString: $0) }) else {
            fatalError("set ENI_AGENT_FUZZ_TARGET to one of \(names)")
        }
        guard let target = FuzzTarget.named(name) else { fatalError("no fuzz target \(name); there are \(names)") }
        return target
    }()
}
#else
@main
enum Replay {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget.named(name) else {
            print("usage: eni-agent-fuzz TARGET FILE...   (targets: \(FuzzTarget.all.map(\.name).joined(separator: ", ")))")
            exit(64)
        }
        for path in arguments.dropFirst() {
            guard let bytes = readFile(path) else {
                print("eni-agent-fuzz: cannot read \(path)")
                exit(66)
            }
            do {
                try bytes.withUnsafeBytes { buffer in try target.run(buffer) }
            } catch {
                print("eni-agent-fuzz: \(target.name) \(path): \(error)")
                exit(1)
            }
        }
    }

    static func readFile(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n == 0 { break }
            bytes += buffer[0..<n]
        }
        return ferror(file) == 0 ? bytes : nil
    }
}
#endif
