// SPDX-License-Identifier: Apache-2.0
// What one read returns: the network, what it cost, and what the caller should log.

public import Model

public struct MetadataRead: Sendable, Hashable {
    public var network: InstanceNetwork
    /// HTTP requests this read sent, token PUTs and retries included.
    public var requests: Int
    /// TCP connections this read opened: keep-alive makes it far fewer than `requests`.
    public var connections: Int
    public var duration: Duration
    /// Invalid values, failed keys, retries, token fallbacks: for the caller to log.
    public var diagnostics: [MetadataDiagnostic]

    public init(
        network: InstanceNetwork, requests: Int, connections: Int = 0, duration: Duration,
        diagnostics: [MetadataDiagnostic]
    ) {
        self.network = network
        self.requests = requests
        self.connections = connections
        self.duration = duration
        self.diagnostics = diagnostics
    }
}

/// One thing worth a log line. `key` is the key's name (`private-ipv4s`, `macs/`, `api/token`),
/// `mac` the ENI it belongs to (nil for instance-level keys).
public struct MetadataDiagnostic: Sendable, Hashable, CustomStringConvertible {
    public var mac: MACAddress?
    public var key: String
    /// The offending value, at most 200 characters; empty when there is none (a failed request).
    public var value: String
    public var problem: String

    public init(mac: MACAddress?, key: String, value: String, problem: String) {
        self.mac = mac
        self.key = key
        self.value = MetadataParser.truncated(value)
        self.problem = problem
    }

    public var description: String {
        let subject = mac.map { "\($0)/\(key)" } ?? key
        return value.isEmpty ? "\(subject): \(problem)" : "\(subject): \(problem) (value \"\(value)\")"
    }
}

/// The read as a whole failed: the caller keeps what it had and removes nothing.
public enum MetadataError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `macs/` or the instance `mac` key could not be read (status, transport error after
    /// retries, or a listing that cannot be trusted).
    case unavailable(reason: String)
    /// The token PUT was answered with this status and token-free GETs are not allowed
    /// (`required`, or a refusal other than 403/404/405 in `auto`).
    case tokenRefused(status: Int)
    /// The read budget ran out before `macs/` and the instance `mac` were read.
    case timeout
    /// `macs/` or the instance `mac` answered something that is not what docs/metadata.md describes.
    case malformed(key: String, value: String, problem: String)
    case cancelled
    /// `shutdown()` was called.
    case shutDown

    public var description: String {
        switch self {
        case .unavailable(let reason): "metadata unavailable: \(reason)"
        case .tokenRefused(let status): "metadata token request refused with HTTP \(status)"
        case .timeout: "metadata read budget exhausted before the ENI list was read"
        case .malformed(let key, let value, let problem):
            "metadata key \(key) is malformed: \(problem) (value \"\(MetadataParser.truncated(value))\")"
        case .cancelled: "metadata read cancelled"
        case .shutDown: "metadata client shut down"
        }
    }
}
