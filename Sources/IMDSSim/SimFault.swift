// SPDX-License-Identifier: Apache-2.0
// Injected failures and request counters (imds-contract.md, "Admin API").

/// A failure injected on matching metadata requests. Effects combine: `delayMs` waits first;
/// then `drop` wins over `garbage`, which wins over `oversize`, which wins over `status`/`body`;
/// with none of those the normal answer is sent. `http10` changes only how the answer is framed.
public struct SimFault: Codable, Sendable, Hashable {
    /// An exact path, or a prefix when it ends in `*`. `/2016-01-01/` and `/latest/` are equal.
    public var path: String
    /// Only requests with this method (case-insensitive); nil matches every method.
    public var method: String?
    public var status: Int?
    public var body: String?
    public var delayMs: Int?
    /// A 200 whose body is random bytes that are never valid UTF-8.
    public var garbage: Bool
    /// Close the connection without answering.
    public var drop: Bool
    /// A 200 whose body is 10 MiB.
    public var oversize: Bool
    /// Answer as HTTP/1.0 without Content-Length, ending the body by closing the connection.
    public var http10: Bool
    /// How many more matching requests this fault applies to; nil means forever. Counts down as
    /// requests match, so `faults()` shows what is left.
    public var times: Int?

    public init(
        path: String, method: String? = nil, status: Int? = nil, body: String? = nil,
        delayMs: Int? = nil, garbage: Bool = false, drop: Bool = false, oversize: Bool = false,
        http10: Bool = false, times: Int? = nil
    ) {
        self.path = path
        self.method = method
        self.status = status
        self.body = body
        self.delayMs = delayMs
        self.garbage = garbage
        self.drop = drop
        self.oversize = oversize
        self.http10 = http10
        self.times = times
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case path, method, status, body, delayMs, garbage, drop, oversize, http10, times
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        path = try c.decode(String.self, forKey: .path)
        method = try c.decodeIfPresent(String.self, forKey: .method)
        status = try c.decodeIfPresent(Int.self, forKey: .status)
        body = try c.decodeIfPresent(String.self, forKey: .body)
        delayMs = try c.decodeIfPresent(Int.self, forKey: .delayMs)
        garbage = try c.decodeIfPresent(Bool.self, forKey: .garbage) ?? false
        drop = try c.decodeIfPresent(Bool.self, forKey: .drop) ?? false
        oversize = try c.decodeIfPresent(Bool.self, forKey: .oversize) ?? false
        http10 = try c.decodeIfPresent(Bool.self, forKey: .http10) ?? false
        times = try c.decodeIfPresent(Int.self, forKey: .times)
    }

    public func validate() throws(SimError) {
        guard path.hasPrefix("/") else { throw SimError("fault path \"\(path)\" must start with /") }
        if let status, !(100...599).contains(status) {
            throw SimError("fault status \(status) is not an HTTP status (100...599)")
        }
        if let delayMs, delayMs < 0 { throw SimError("fault delayMs \(delayMs) is negative") }
        if let times, times < 0 { throw SimError("fault times \(times) is negative") }
    }

    func matches(method requestMethod: String, canonicalPath: String) -> Bool {
        if let method, method.uppercased() != requestMethod.uppercased() { return false }
        if let times, times <= 0 { return false }
        let pattern = IMDSPath.canonical(path)
        if pattern.hasSuffix("*") {
            return canonicalPath.hasPrefix(pattern.dropLast())
        }
        return canonicalPath == pattern
    }
}

/// Metadata requests seen since the last reset; admin requests are never counted.
public struct SimCounters: Codable, Sendable, Hashable {
    /// Every metadata request, token requests and faulted ones included.
    public var total: Int
    /// Requests to `/latest/api/token` (any method, any outcome).
    public var tokenRequests: Int
    /// Per path as requested (query string removed, no other normalisation).
    public var byPath: [String: Int]

    public init(total: Int = 0, tokenRequests: Int = 0, byPath: [String: Int] = [:]) {
        self.total = total
        self.tokenRequests = tokenRequests
        self.byPath = byPath
    }
}
