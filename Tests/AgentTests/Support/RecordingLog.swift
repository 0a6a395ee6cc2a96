// SPDX-License-Identifier: Apache-2.0
import Logging
import Synchronization

/// A swift-log handler that keeps every line, for tests that read what the agent logged.
final class RecordingLog: Sendable {
    struct Line: Sendable, CustomStringConvertible {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
        var description: String { "\(level): \(message) \(metadata.sorted { $0.key < $1.key }.map { "\($0)=\($1)" }.joined(separator: " "))" }
    }

    private let lines = Mutex<[Line]>([])

    var all: [Line] { lines.withLock { $0 } }

    func lines(_ level: Logger.Level, containing text: String = "") -> [Line] {
        all.filter { $0.level == level && (text.isEmpty || $0.message.contains(text)) }
    }

    func logger(level: Logger.Level = .debug) -> Logger {
        var logger = Logger(label: "eni-agent-test") { _ in Handler(log: self) }
        logger.logLevel = level
        return logger
    }

    fileprivate func append(_ line: Line) {
        lines.withLock { $0.append(line) }
    }

    private struct Handler: LogHandler {
        let log: RecordingLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var fields = metadata
            for (key, value) in event.metadata ?? [:] { fields[key] = value }
            log.append(Line(level: event.level, message: "\(event.message)", metadata: fields.mapValues { "\($0)" }))
        }
    }
}
