// SPDX-License-Identifier: Apache-2.0
import Logging
import Metadata
import Reconcile

/// Plan notes and metadata diagnostics are logged when they appear, not on every cycle while
/// they last: a daemon that polls every 10 s must not repeat the same warning 8,640 times a day.
struct OnceLog: Sendable {
    private var lastNotes: Set<String> = []
    private var lastDiagnostics: Set<String> = []

    mutating func notes(_ notes: [PlanNote], log: Logger) {
        for note in notes where !lastNotes.contains(note.message) {
            var fields: Logger.Metadata = [:]
            if let eni = note.eni {
                if let id = eni.id { fields["eni_id"] = "\(id)" }
                fields["eni_mac"] = "\(eni.mac)"
                if let name = eni.ifname { fields["ifname"] = "\(name)" }
            }
            switch note.level {
            case .warning: log.warning("\(note.message)", metadata: fields)
            case .info: log.info("\(note.message)", metadata: fields)
            }
        }
        lastNotes = Set(notes.map(\.message))
    }

    /// A key that answered after retries is not a problem with the data: info, not warning.
    mutating func diagnostics(_ diagnostics: [MetadataDiagnostic], log: Logger) {
        func identity(_ d: MetadataDiagnostic) -> String { "\(d.mac?.description ?? "-")/\(d.key)=\(d.value)" }
        for diagnostic in diagnostics where !lastDiagnostics.contains(identity(diagnostic)) {
            var fields: Logger.Metadata = ["key": "\(diagnostic.key)"]
            if let mac = diagnostic.mac { fields["eni_mac"] = "\(mac)" }
            let subject = diagnostic.value.isEmpty ? "metadata \(diagnostic.key)" : "metadata \(diagnostic.key) = \(diagnostic.value)"
            if diagnostic.value.isEmpty && diagnostic.problem.hasPrefix("answered after") {
                log.info("\(subject): \(diagnostic.problem)", metadata: fields)
            } else {
                log.warning("\(subject): \(diagnostic.problem)", metadata: fields)
            }
        }
        lastDiagnostics = Set(diagnostics.map(identity))
    }
}
