#if canImport(Glibc)
import Glibc
#endif

/// Keeps the daemon's resident set to what it uses. Most of a Swift daemon's resident memory is
/// clean pages of its executable and shared libraries: start-up code (argument parsing,
/// reflection, configuration) and the neighbours the kernel maps around every fault
/// ("fault-around": a sync cycle takes ~110 faults but maps ~6 MiB). Those pages are identical
/// to the files, stay in the page cache, and come back with a minor fault when needed; dropping
/// them from this process between cycles costs a few madvise() calls. Dirty pages (relocated
/// data, heap) are never touched: which pages are private copies is read once from
/// /proc/self/pagemap, page by page.
public enum ResidentMemory {
    /// Turns off read-ahead on the read-only file mappings (MADV_RANDOM): code is read a page at
    /// a time, not in large sequential chunks.
    public static func adviseExactFaults() {
        for mapping in readOnlyFileMappings() {
            _ = madvise(UnsafeMutableRawPointer(bitPattern: mapping.start), mapping.end - mapping.start, MADV_RANDOM)
        }
    }

    /// A range of pages that holds no private copy: dropping it loses nothing.
    struct Run: Sendable {
        var start: Int
        var length: Int
    }

    /// The ranges of the read-only file mappings whose pages are file pages or not loaded, i.e.
    /// everything but the private copies the loader made when it applied relocations (RELRO:
    /// dirty, anonymous, and lost if dropped). Read from /proc/self/maps and pagemap.
    static func releasableRuns() -> [Run] {
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC)
        guard pagemap >= 0 else { return [] }
        defer { close(pagemap) }
        var runs: [Run] = []
        for mapping in readOnlyFileMappings() {
            let pages = (mapping.end - mapping.start) / pageSize
            var entries = [UInt64](repeating: 0, count: pages)
            let offset = off_t(mapping.start / pageSize * 8)
            let bytes = entries.withUnsafeMutableBytes { pread(pagemap, $0.baseAddress, $0.count, offset) }
            guard bytes == pages * 8 else { continue }
            var first: Int?
            for (i, entry) in entries.enumerated() {
                // Bit 63: present; 62: swapped; 61: a file page. A present non-file page or a
                // swapped one is a private copy.
                let privateCopy = (entry & (1 << 63) != 0 && entry & (1 << 61) == 0) || entry & (1 << 62) != 0
                if privateCopy {
                    if let start = first { runs.append(Run(start: mapping.start + start * pageSize, length: (i - start) * pageSize)) }
                    first = nil
                } else if first == nil {
                    first = i
                }
            }
            if let start = first { runs.append(Run(start: mapping.start + start * pageSize, length: (pages - start) * pageSize)) }
        }
        return runs
    }

    static func release(_ runs: [Run]) {
        for run in runs {
            _ = madvise(UnsafeMutableRawPointer(bitPattern: run.start), run.length, MADV_DONTNEED)
        }
    }

    /// Releases the clean file pages after a cycle. The page plan (which ranges are safe to
    /// drop) is read once, at the first call, after start-up: read-only mappings never gain a
    /// private copy later (nothing writes them; the unit forbids W+X), so later calls are a few
    /// madvise() calls instead of a walk of /proc/self/maps and pagemap (which was a third of
    /// the daemon's idle CPU at a 10 s poll).
    public struct Trimmer: Sendable {
        var runs: [Run]?

        public init() {}

        public mutating func trim() {
            if runs == nil { runs = ResidentMemory.releasableRuns() }
            ResidentMemory.release(runs ?? [])
        }
    }

    /// This process's resident set (`/proc/self/statm`, second field), in bytes.
    public static func residentBytes() -> Int? {
        guard let statm = try? readFile("/proc/self/statm") else { return nil }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    struct Mapping {
        var start: Int
        var end: Int
    }

    /// The mappings of files (the executable, shared libraries) that are not writable.
    static func readOnlyFileMappings() -> [Mapping] {
        guard let maps = try? readFile("/proc/self/maps") else { return [] }
        var result: [Mapping] = []
        for line in maps.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count == 6, fields[5].trimmingCharacters(in: " ").hasPrefix("/"), !fields[1].contains("w") else { continue }
            let range = fields[0].split(separator: "-")
            guard range.count == 2, let start = Int(range[0], radix: 16), let end = Int(range[1], radix: 16) else { continue }
            result.append(Mapping(start: start, end: end))
        }
        return result
    }
}
