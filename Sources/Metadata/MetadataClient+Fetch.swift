// SPDX-License-Identifier: Apache-2.0
// Requests with the retry policy of docs/metadata.md: 429, 5xx and transport errors are retried with
// exponential backoff and jitter inside the read budget; 401 renews the token once; every
// other status is final for that key in this read. And the token itself.

import Model
import NIOHTTP1

/// What one key's fetch gave, with the retries it took for the caller to log.
struct Fetched: Sendable {
    var result: KeyResult
    var diagnostics: [MetadataDiagnostic] = []
    var budgetExhausted = false
}

enum TokenOutcome: Sendable {
    case token(String, requestedAt: ContinuousClock.Instant)
    case refused(status: Int)
    case failed(reason: String, budgetExhausted: Bool)
}

/// One request after its retries.
enum Exchange: Sendable {
    case response(HTTPResponse, retries: [String])
    case failure(reason: String, budgetExhausted: Bool)
}

extension MetadataClient {
    static let tokenHeader = "X-aliyun-ecs-metadata-token"
    static let tokenTTLHeader = "X-aliyun-ecs-metadata-token-ttl-seconds"
    static let tokenPath = "/latest/api/token"

    func get(_ path: String, _ read: ReadContext) async -> Fetched {
        let (mac, key) = Self.subject(path)
        var token: String?
        do {
            token = try await currentToken(read)
        } catch {
            return Fetched(result: .failed(reason: "no metadata token: \(error)"), budgetExhausted: error == .timeout)
        }
        var renewed = false
        while true {
            let headers = token.map { [(Self.tokenHeader, $0)] } ?? []
            switch await exchange(.GET, path, headers: headers, read) {
            case .failure(let reason, let exhausted):
                return Fetched(result: .failed(reason: reason), budgetExhausted: exhausted)
            case .response(let response, let retries):
                var notes: [MetadataDiagnostic] = []
                if !retries.isEmpty {
                    let problem = "answered after \(retries.count + 1) attempts (\(retries.joined(separator: ", ")))"
                    notes.append(MetadataDiagnostic(mac: mac, key: key, value: "", problem: problem))
                }
                switch response.status {
                case 200:
                    return Fetched(result: .value(String(decoding: response.body, as: UTF8.self)), diagnostics: notes)
                case 404:
                    return Fetched(result: .missing, diagnostics: notes)
                case 401 where token != nil && !renewed:
                    // The token expired or the service restarted: one new token, one more try.
                    renewed = true
                    do {
                        token = try await renewToken(stale: token!, read)
                    } catch {
                        return Fetched(result: .failed(reason: "HTTP 401, and no new token: \(error)"), diagnostics: notes)
                    }
                case 403 where token == nil && configuration.tokenMode == .auto:
                    // Token-free GETs were allowed when we fell back and are not any more.
                    tokenFreeUntil = nil
                    return Fetched(result: .failed(reason: "HTTP 403 without a token"), diagnostics: notes)
                case 300...399:
                    return Fetched(result: .failed(reason: "HTTP \(response.status) (redirects are not followed)"), diagnostics: notes)
                default:
                    return Fetched(result: .failed(reason: "HTTP \(response.status)"), diagnostics: notes)
                }
            }
        }
    }

    /// The token to send, or nil for a token-free GET (`off`, or `auto` after a refusal).
    func currentToken(_ read: ReadContext) async throws(MetadataError) -> String? {
        switch configuration.tokenMode {
        case .off: return nil
        case .auto: if let until = tokenFreeUntil, clock.now < until { return nil }
        case .required: break
        }
        if let token, clock.now < token.usableUntil { return token.value }
        return try await requestToken(read)
    }

    func renewToken(stale: String, _ read: ReadContext) async throws(MetadataError) -> String? {
        if token?.value == stale { token = nil }
        return try await currentToken(read)
    }

    private func requestToken(_ read: ReadContext) async throws(MetadataError) -> String? {
        let task: Task<TokenOutcome, Never>
        if let inFlight = tokenRequest {
            task = inFlight
        } else {
            task = Task { await self.putToken(read) }
            tokenRequest = task
        }
        // A cancelled read must not wait for a PUT it no longer needs.
        let outcome = await withTaskCancellationHandler { await task.value } onCancel: { task.cancel() }
        if tokenRequest == task { tokenRequest = nil }
        switch outcome {
        case .token(let value, let requestedAt):
            // Half the TTL, counted from before the PUT: never sent once expired.
            let usable = requestedAt + .seconds(configuration.tokenTTLSent) / 2
            if token == nil || token!.usableUntil < usable { token = Token(value: value, usableUntil: usable) }
            return value
        case .refused(let status) where configuration.tokenMode == .auto && [403, 404, 405].contains(status):
            if tokenFreeUntil.map({ $0 <= clock.now }) ?? true {
                tokenFreeUntil = clock.now + configuration.tokenFallbackPeriod
                tokenDiagnostics.append(MetadataDiagnostic(
                    mac: nil, key: "api/token", value: "",
                    problem: "token request answered HTTP \(status): using token-free requests for \(configuration.tokenFallbackPeriod)"))
            }
            return nil
        case .refused(let status):
            throw .tokenRefused(status: status)
        case .failed(let reason, let exhausted):
            throw exhausted ? .timeout : .unavailable(reason: "token request: \(reason)")
        }
    }

    private nonisolated func putToken(_ read: ReadContext) async -> TokenOutcome {
        let requestedAt = clock.now
        let headers = [(Self.tokenTTLHeader, String(configuration.tokenTTLSent))]
        switch await exchange(.PUT, Self.tokenPath, headers: headers, read) {
        case .failure(let reason, let exhausted):
            return .failed(reason: reason, budgetExhausted: exhausted)
        case .response(let response, _) where response.status == 200:
            let value = MetadataParser.plainValue(String(decoding: response.body, as: UTF8.self))
            // It goes into a header: visible ASCII only.
            guard !value.isEmpty, value.utf8.count <= 1024,
                value.utf8.allSatisfy({ (0x21...0x7e).contains($0) })
            else { return .failed(reason: "the token answer is not a token", budgetExhausted: false) }
            return .token(value, requestedAt: requestedAt)
        case .response(let response, _):
            return .refused(status: response.status)
        }
    }

    /// One request, retried on 429, 5xx and transport errors while attempts and budget last.
    nonisolated func exchange(
        _ method: HTTPMethod, _ path: String, headers: [(String, String)], _ read: ReadContext
    ) async -> Exchange {
        var retries: [String] = []
        var attempt = 0
        while true {
            attempt += 1
            if Task.isCancelled { return .failure(reason: "cancelled", budgetExhausted: false) }
            let remaining = read.deadline - clock.now
            guard remaining > .zero else {
                let after = retries.last.map { " (last: \($0))" } ?? ""
                return .failure(reason: "read budget exhausted\(after)", budgetExhausted: true)
            }
            let outcome = await read.pool.send(
                method, path, headers: headers,
                connectTimeout: min(configuration.connectTimeout, remaining),
                timeout: min(configuration.requestTimeout, remaining))
            let problem: String
            switch outcome {
            case .success(let response) where response.status == 429 || (500...599).contains(response.status):
                problem = "HTTP \(response.status)"
            case .success(let response):
                return .response(response, retries: retries)
            case .failure(.tooLarge(let limit)):
                return .failure(reason: "body larger than \(limit) bytes", budgetExhausted: false)
            case .failure(.cancelled):
                return .failure(reason: "cancelled", budgetExhausted: false)
            case .failure(let failure):
                problem = failure.description
            }
            retries.append(problem)
            guard attempt < configuration.maxAttempts else {
                return .failure(reason: "\(problem) (\(attempt) attempts)", budgetExhausted: false)
            }
            let delay = backoff(attempt: attempt)
            guard clock.now + delay < read.deadline else {
                return .failure(reason: "\(problem); read budget exhausted after \(attempt) attempts", budgetExhausted: true)
            }
            try? await Task.sleep(for: delay)
        }
    }

    /// Exponential from `retryBaseDelay`, capped at `retryMaxDelay`, then a random half to all
    /// of it.
    nonisolated func backoff(attempt: Int) -> Duration {
        let exponential = configuration.retryBaseDelay * (1 << min(max(attempt - 1, 0), 20))
        let capped = min(exponential, configuration.retryMaxDelay)
        let (seconds, attoseconds) = capped.components
        let nanoseconds = max(seconds * 1_000_000_000 + attoseconds / 1_000_000_000, 2)
        return .nanoseconds(Int64.random(in: nanoseconds / 2...nanoseconds))
    }

    /// The ENI and key a path names, as diagnostics show them: `(mac, "private-ipv4s")` for
    /// `…/macs/<mac>/private-ipv4s`, `(nil, "macs/")` for the listing, `(nil, "mac")`.
    static func subject(_ path: String) -> (MACAddress?, String) {
        if path.hasSuffix("/") { return (nil, "macs/") }
        let parts = path.split(separator: "/")
        let mac = parts.count >= 2 ? MACAddress(parts[parts.count - 2]) : nil
        return (mac, parts.last.map(String.init) ?? path)
    }
}
