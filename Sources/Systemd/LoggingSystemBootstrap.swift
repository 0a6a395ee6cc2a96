// SPDX-License-Identifier: Apache-2.0
public import Logging

/// Installs `SystemdLogHandler` as the process's swift-log backend.
public enum LoggingSystemBootstrap {
    /// Call once, first thing in `main` (swift-log allows one bootstrap per process).
    /// `.automatic` is resolved here, once, not for every `Logger` made later.
    public static func bootstrap(
        level: Logger.Level,
        identifier: String = "eni-agent",
        destination: SystemdLogHandler.Destination = .automatic,
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        LoggingSystem.bootstrap(
            factory(level: level, identifier: identifier, destination: destination),
            metadataProvider: metadataProvider
        )
    }

    static func factory(
        level: Logger.Level,
        identifier: String,
        destination: SystemdLogHandler.Destination
    ) -> @Sendable (String, Logger.MetadataProvider?) -> any LogHandler {
        let destination = destination.resolved()
        return { label, provider in
            var handler = SystemdLogHandler(
                label: label,
                resolvedDestination: destination,
                identifier: identifier,
                metadataProvider: provider,
                plainOutput: 2
            )
            handler.logLevel = level
            return handler
        }
    }
}
