#if canImport(Glibc)
import Glibc
#endif

/// Keeps the daemon's resident set to what it uses. Most of a Swift daemon's resident memory is
/// clean pages of its executable and shared libraries: start-up code (argument parsing,
/// reflection, configuration) and the neighbours the kernel maps around every fault
/// ("fault-around": a sync cycle takes ~110 faults but maps ~6 MiB). Those pages are identical
/// to the files, stay in the page cache, and come back with a minor fault when needed; dropping
/// them from this process between cycles costs well under a millisecond. Dirty pages (relocated
/// data, heap) are never touched: pages are checked one by one in /proc/self/pagemap.
public enum ResidentMemory {
    /// Turns off read-ahead on the read-only file mappings (MADV_RANDOM): code is read a page at
    /// a time, not in large sequential chunks.
    public static func adviseExactFaults() {
        for mapping in readOnlyFileMappings() {
            _ = madvise(UnsafeMutableRawPointer(bitPattern: mapping.start), mapping.end - mapping.start, MADV_RANDOM)
        }
    }

    /// Drops this process's resident pages of read-only file mappings that are still clean file
    /// pages, as /proc/self/pagemap reports them page by page; returns the bytes released.
    @discardableResult
    public static func releaseCleanFilePages() -> Int {
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC)
        guard pagemap >= 0 else { return 0 }
        defer { close(pagemap) }
        var released = 0
        for mapping in readOnlyFileMappings() {
            let pages = (mapping.end - mapping.start) / pageSize
            var entries = [UInt64](repeating: 0, count: pages)
            let offset = off_t(mapping.start / pageSize * 8)
            let bytes = entries.withUnsafeMutableBytes { pread(pagemap, $0.baseAddress, $0.count, offset) }
            guard bytes == pages * 8 else { continue }
            // Bit 63: present; bit 61: a file page (or shared anonymous), i.e. not a private
            // copy: dropping it loses nothing.
            var run: (start: Int, count: Int)?
            func flush() {
                if let r = run {
                    if madvise(UnsafeMutableRawPointer(bitPattern: mapping.start + r.start * pageSize), r.count * pageSize, MADV_DONTNEED) == 0 {
                        released += r.count * pageSize
                    }
                    run = nil
                }
            }
            for (i, entry) in entries.enumerated() {
                if entry & (1 << 63) != 0 && entry & (1 << 61) != 0 {
                    if let r = run { run = (r.start, r.count + 1) } else { run = (i, 1) }
                } else {
                    flush()
                }
            }
            flush()
        }
        return released
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
