// SPDX-License-Identifier: Apache-2.0
public import Logging
import CSystemd

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A swift-log handler for a systemd service: native journald entries with structured fields
/// when stderr is connected to the journal, plain lines on stderr otherwise.
///
/// Under journald every metadata key becomes a field (`eni_id` -> `ENI_ID`), so
/// `journalctl -u eni-agent ACTION=remove` finds entries by what they did. The same binary run
/// from a shell, a container or a test writes `level: message key=value` lines instead.
public struct SystemdLogHandler: LogHandler {
    public enum Destination: Sendable, Hashable {
        /// `.journal` when `JOURNAL_STREAM` names the file stderr is open on, which is how
        /// systemd says "your stderr is my stream"; a child whose stderr was redirected (a
        /// shell started from a service, a pipe) inherits the variable but not the match.
        case automatic
        /// Native entries through `sd_journal_sendv`.
        case journal
        /// Plain lines on file descriptor 2.
        case standardError
    }

    /// Where this handler writes: `.journal` or `.standardError`, never `.automatic`, which
    /// `init` has resolved.
    public let destination: Destination
    public let label: String
    /// `SYSLOG_IDENTIFIER` (`journalctl -t`); nil lets libsystemd use the program name.
    public let identifier: String?

    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    /// The descriptor plain lines go to: 2, except in tests.
    let plainOutput: Int32

    public init(
        label: String,
        destination: Destination = .automatic,
        identifier: String? = nil,
        metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider
    ) {
        self.init(
            label: label,
            resolvedDestination: destination.resolved(),
            identifier: identifier,
            metadataProvider: metadataProvider,
            plainOutput: STDERR_FILENO
        )
    }

    init(
        label: String,
        resolvedDestination: Destination,
        identifier: String?,
        metadataProvider: Logger.MetadataProvider?,
        plainOutput: Int32
    ) {
        precondition(resolvedDestination != .automatic, "resolve .automatic before making a handler")
        self.label = label
        self.destination = resolvedDestination
        self.identifier = identifier
        self.metadataProvider = metadataProvider
        self.plainOutput = plainOutput
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let metadata = Self.mergedMetadata(
            handler: self.metadata,
            provided: metadataProvider?.get(),
            explicit: event.metadata,
            error: event.error
        )
        let message = event.message.description
        if destination == .journal {
            let fields = JournalFields.fields(
                level: event.level,
                message: message,
                identifier: identifier,
                file: event.file,
                function: event.function,
                line: event.line,
                metadata: metadata
            )
            // A journald that went away mid-run must not take the logs with it: stderr still
            // reaches whoever holds the other end.
            if Self.sendToJournal(fields) >= 0 { return }
        }
        Self.writeLine(PlainLine.format(level: event.level, message: message, metadata: metadata), to: plainOutput)
    }

    /// swift-log's precedence: the handler's metadata, overridden by the provider's (task-local
    /// context), overridden by the call's own; an attached error adds `error.message` and
    /// `error.type` as swift-log's `StreamLogHandler` does.
    static func mergedMetadata(
        handler: Logger.Metadata,
        provided: Logger.Metadata?,
        explicit: Logger.Metadata?,
        error: (any Error)?
    ) -> Logger.Metadata {
        var merged = handler
        if let provided, !provided.isEmpty {
            merged.merge(provided) { _, provided in provided }
        }
        if let explicit, !explicit.isEmpty {
            merged.merge(explicit) { _, explicit in explicit }
        }
        if let error {
            merged["error.message"] = "\(error)"
            merged["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        return merged
    }

    /// One iovec per field, all pointing into one buffer. Returns sd_journal_sendv's result:
    /// negative errno on failure (0 also when no journald listens at all, by its design).
    static func sendToJournal(_ fields: [String]) -> Int32 {
        var bytes: [UInt8] = []
        var spans: [(offset: Int, count: Int)] = []
        spans.reserveCapacity(fields.count)
        for field in fields {
            spans.append((bytes.count, field.utf8.count))
            bytes.append(contentsOf: field.utf8)
        }
        return bytes.withUnsafeMutableBytes { buffer -> Int32 in
            guard let base = buffer.baseAddress else { return -EINVAL }
            let vectors = spans.map { iovec(iov_base: base + $0.offset, iov_len: $0.count) }
            return vectors.withUnsafeBufferPointer { sd_journal_sendv($0.baseAddress, Int32($0.count)) }
        }
    }

    /// The whole line in one write(2): concurrent loggers then never interleave within a line
    /// (a pipe guarantees it up to PIPE_BUF, a file opened O_APPEND and a tty in practice).
    /// A short write only continues the same line.
    static func writeLine(_ line: String, to fd: Int32) {
        var line = line
        line.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return }
            var offset = 0
            while offset < bytes.count {
                let written = write(fd, base + offset, bytes.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return  // nowhere left to report a failure to write the log itself
                }
            }
        }
    }
}

extension SystemdLogHandler.Destination {
    /// `.automatic` decided against this process's environment and stderr.
    public func resolved() -> Self {
        guard self == .automatic else { return self }
        let stream = getenv("JOURNAL_STREAM").map { String(cString: $0) }
        return JournalStream.isConnected(fd: STDERR_FILENO, journalStream: stream) ? .journal : .standardError
    }
}

/// `JOURNAL_STREAM` is `<device>:<inode>` (decimal) of the stream socket systemd gave the
/// service as stdout/stderr (systemd.exec(5)).
enum JournalStream {
    static func parse(_ value: String) -> (device: UInt64, inode: UInt64)? {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return nil }
        return (device, inode)
    }

    static func isConnected(fd: Int32, journalStream: String?) -> Bool {
        guard let journalStream, let expected = parse(journalStream) else { return false }
        var status = stat()
        guard fstat(fd, &status) == 0 else { return false }
        return UInt64(status.st_dev) == expected.device && UInt64(status.st_ino) == expected.inode
    }
}
