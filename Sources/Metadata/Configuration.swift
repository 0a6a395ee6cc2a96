// SPDX-License-Identifier: Apache-2.0
// How the IMDS client talks to the service: endpoint, token mode, time and size limits.

import Model

/// docs/metadata.md "Token mode": `auto` falls back to token-free GETs only when the token PUT itself is
/// refused (403/404/405); `required` never sends a GET without a token; `off` never PUTs.
public enum TokenMode: String, Sendable, CaseIterable {
    case auto, required, off
}

public struct MetadataConfiguration: Sendable, Hashable {
    // Each default is written once, in `init`'s parameter list.
    public var host: String
    public var port: Int
    public var tokenMode: TokenMode
    /// Seconds, sent as `X-aliyun-ecs-metadata-token-ttl-seconds` (clamped to the service's
    /// 1...21600); the token is used for half of it so that it never expires mid-read.
    public var tokenTTL: Int
    public var connectTimeout: Duration
    /// One request from write to the end of its body; also capped by what is left of the budget.
    public var requestTimeout: Duration
    /// The whole read, retries and backoff included.
    public var readBudget: Duration
    /// Connections (so requests) in flight at once.
    public var maxConcurrency: Int
    /// A body longer than this fails its key as "too large" and the connection is closed.
    public var maxBodyBytes: Int
    /// ENIs read from `macs/`; the rest are kept unread and incomplete (docs/metadata.md "Limits").
    public var maxENIs: Int = MetadataLimits.enis
    public var stableKeyRefresh: Duration
    /// Attempts per key (the first included) for 429, 5xx and transport errors.
    public var maxAttempts: Int
    /// Backoff before retry n is `retryBaseDelay * 2^(n-1)` capped at `retryMaxDelay`, then a
    /// random part of it (half to all) so that agents on many instances do not retry in step.
    public var retryBaseDelay: Duration
    public var retryMaxDelay: Duration
    /// How long `auto` keeps using token-free GETs after the PUT was refused.
    public var tokenFallbackPeriod: Duration
    /// A keep-alive connection idle for this long is closed, not reused by the next poll.
    public var maxIdleConnection: Duration = .seconds(30)
    /// Whether `ipv4-prefixes` and `ipv6-prefixes` are read (`ENI_AGENT_PREFIXES` other than
    /// `off`): two more requests per ENI on every poll. Unread, an ENI has no prefixes.
    public var readsPrefixes: Bool = true

    public init(
        host: String = "100.100.100.200", port: Int = 80, tokenMode: TokenMode = .auto,
        tokenTTL: Int = 21600, connectTimeout: Duration = .seconds(2),
        requestTimeout: Duration = .seconds(3), readBudget: Duration = .seconds(20),
        maxConcurrency: Int = 4, maxBodyBytes: Int = 65536, stableKeyRefresh: Duration = .seconds(600),
        maxAttempts: Int = 6, retryBaseDelay: Duration = .milliseconds(100),
        retryMaxDelay: Duration = .seconds(2), tokenFallbackPeriod: Duration = .seconds(600)
    ) {
        self.host = host
        self.port = port
        self.tokenMode = tokenMode
        self.tokenTTL = tokenTTL
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.readBudget = readBudget
        self.maxConcurrency = maxConcurrency
        self.maxBodyBytes = maxBodyBytes
        self.stableKeyRefresh = stableKeyRefresh
        self.maxAttempts = maxAttempts
        self.retryBaseDelay = retryBaseDelay
        self.retryMaxDelay = retryMaxDelay
        self.tokenFallbackPeriod = tokenFallbackPeriod
    }

    /// `http://100.100.100.200`, `http://127.0.0.1:8080`, `http://[::1]:8080` or
    /// `http://imds.local` (one trailing `/` allowed); nil for https, a path, a query, user
    /// info or a port outside 1...65535. Every other setting keeps its default.
    public init?(endpoint: String) {
        let scheme = "http://"
        guard endpoint.utf8.count > scheme.utf8.count,
            String(endpoint.prefix(scheme.count)).lowercased() == scheme
        else { return nil }
        var rest = endpoint.dropFirst(scheme.count)
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.isEmpty, !rest.contains(where: { "/?#@ \t".contains($0) }) else { return nil }

        var host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            host = rest[rest.index(after: rest.startIndex)..<close]
            guard IPv6Address(host) != nil else { return nil }
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
        } else {
            let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { return nil }
            host = parts[0]
            portText = parts.count == 2 ? parts[1] : nil
            guard Self.isHostName(host) else { return nil }
        }
        var port = 80
        if let portText {
            guard (1...5).contains(portText.utf8.count),
                portText.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
                let value = Int(portText), (1...65535).contains(value)
            else { return nil }
            port = value
        }
        self.init(host: String(host), port: port)
    }

    /// Letters, digits, `-` and `.`: an IPv4 literal or a DNS name.
    private static func isHostName(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.count <= 253 && !text.hasPrefix(".") && !text.hasPrefix("-")
            && text.utf8.allSatisfy { byte in
                byte.isASCIILetterOrDigit || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
            }
    }

    var tokenTTLSent: Int { min(max(tokenTTL, 1), 21600) }

    /// `Host:` as a client sends it: the port only when not the default.
    var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == 80 ? name : "\(name):\(port)"
    }
}

extension UInt8 {
    var isASCIILetterOrDigit: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self)
    }
}
