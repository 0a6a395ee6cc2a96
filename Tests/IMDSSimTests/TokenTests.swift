// SPDX-License-Identifier: Apache-2.0
@testable import IMDSSim
import NIOCore
import NIOHTTP1
import Testing

let tokenPath = "/latest/api/token"
let ttlHeader = "X-aliyun-ecs-metadata-token-ttl-seconds"
let tokenHeader = "X-aliyun-ecs-metadata-token"
let instanceIDPath = "/latest/meta-data/instance-id"

func requestToken(_ endpoint: Endpoint, ttl: String = "60", path: String = tokenPath) async throws -> TestResponse {
    try await fetch(endpoint, path, method: .PUT, headers: [(ttlHeader, ttl)])
}

@Suite struct TokenTests {
    @Test("A token is issued for a TTL within 1...21600 and lets a GET through", arguments: ["1", "21600"])
    func tokenIssued(ttl: String) async throws {
        try await withSimulator { _, endpoint in
            let token = try await requestToken(endpoint, ttl: ttl)
            #expect(token.status == 200)
            #expect(!token.text.isEmpty)
            // A one-second token may be past its TTL by the time a loaded machine sends the GET.
            guard ttl != "1" else { return }
            let get = try await fetch(endpoint, instanceIDPath, headers: [(tokenHeader, token.text)])
            #expect(get.status == 200)
            #expect(get.text == "i-bp1e3fhzdm2hgvz6q7ta")
        }
    }

    @Test("Two token requests get different tokens")
    func tokensAreRandom() async throws {
        try await withSimulator { _, endpoint in
            let first = try await requestToken(endpoint)
            let second = try await requestToken(endpoint)
            #expect(first.text != second.text)
        }
    }

    @Test("A TTL outside 1...21600 or not a number is a 400", arguments: ["0", "21601", "-5", "abc", ""])
    func badTTLIs400(ttl: String) async throws {
        try await withSimulator { _, endpoint in
            let response = try await requestToken(endpoint, ttl: ttl)
            #expect(response.status == 400)
        }
    }

    @Test("A token request without the TTL header is a 400")
    func missingTTLIs400() async throws {
        try await withSimulator { _, endpoint in
            let response = try await fetch(endpoint, tokenPath, method: .PUT)
            #expect(response.status == 400)
        }
    }

    @Test("A token request carrying X-Forwarded-For is a 403")
    func forwardedIs403() async throws {
        try await withSimulator { _, endpoint in
            let response = try await fetch(
                endpoint, tokenPath, method: .PUT, headers: [(ttlHeader, "60"), ("X-Forwarded-For", "10.0.0.1")])
            #expect(response.status == 403)
        }
    }

    @Test("The 2016-01-01 token path issues tokens too")
    func datedTokenPath() async throws {
        try await withSimulator { _, endpoint in
            let token = try await requestToken(endpoint, path: "/2016-01-01/api/token")
            #expect(token.status == 200)
            let get = try await fetch(endpoint, instanceIDPath, headers: [(tokenHeader, token.text)])
            #expect(get.status == 200)
        }
    }

    @Test("In required mode a GET without a token is 403 and with one is 200")
    func requiredModeNeedsToken() async throws {
        var state = SimState.sample
        state.tokenMode = .required
        try await withSimulator(state) { _, endpoint in
            let plain = try await fetch(endpoint, instanceIDPath)
            #expect(plain.status == 403)
            let token = try await requestToken(endpoint)
            let withToken = try await fetch(endpoint, instanceIDPath, headers: [(tokenHeader, token.text)])
            #expect(withToken.status == 200)
        }
    }

    @Test("In optional mode a GET without a token is 200")
    func optionalModeServesPlainGets() async throws {
        try await withSimulator { _, endpoint in
            let plain = try await fetch(endpoint, instanceIDPath)
            #expect(plain.status == 200)
        }
    }

    @Test("An unknown token is 401 in optional and in required mode", arguments: [TokenMode.optional, .required])
    func unknownTokenIs401(mode: TokenMode) async throws {
        var state = SimState.sample
        state.tokenMode = mode
        try await withSimulator(state) { _, endpoint in
            let response = try await fetch(endpoint, instanceIDPath, headers: [(tokenHeader, "made-up")])
            #expect(response.status == 401)
        }
    }

    /// On the simulator's own clock: valid a moment before its TTL, 401 at it. (Over HTTP the
    /// first GET of a one-second token may come after that second on a loaded machine.)
    @Test("A token is 401 once its TTL has passed")
    func expiredByTTLIs401() throws {
        let core = SimCore(state: .sample, faults: [])
        let issued = NIODeadline.uptimeNanoseconds(1_000_000_000_000)
        var put = HTTPHeaders()
        put.add(name: ttlHeader, value: "1")
        let token = try #require(Self.body(core.handle(SimRequest(method: .PUT, uri: tokenPath, headers: put, body: nil), now: issued)))
        func get(at now: NIODeadline) -> Int? {
            var headers = HTTPHeaders()
            headers.add(name: tokenHeader, value: token)
            return Self.status(core.handle(SimRequest(method: .GET, uri: instanceIDPath, headers: headers, body: nil), now: now))
        }
        #expect(get(at: issued) == 200)
        #expect(get(at: issued + .milliseconds(999)) == 200)
        #expect(get(at: issued + .seconds(1)) == 401)
        #expect(get(at: issued + .seconds(3600)) == 401)
    }

    /// And over HTTP, on the wall clock: a one-second token stops working.
    @Test("A one-second token is 401 over HTTP once the second has passed")
    func expiredByTTLIs401OverHTTP() async throws {
        try await withSimulator { _, endpoint in
            let token = try await requestToken(endpoint, ttl: "1").text
            let expired = try await eventually(within: 60) {
                try await fetch(endpoint, instanceIDPath, headers: [(tokenHeader, token)]).status == 401
            }
            #expect(expired)
        }
    }

    static func status(_ reply: SimReply) -> Int? {
        guard case .respond(let status, _, _) = reply.effect else { return nil }
        return Int(status.code)
    }

    static func body(_ reply: SimReply) -> String? {
        guard case .respond(let status, _, let body) = reply.effect, status == .ok else { return nil }
        return String(buffer: body)
    }

    @Test("expireTokens makes every issued token 401 while new ones work")
    func expireTokensInvalidates() async throws {
        try await withSimulator { sim, endpoint in
            let old = try await requestToken(endpoint).text
            sim.expireTokens()
            let stale = try await fetch(endpoint, instanceIDPath, headers: [(tokenHeader, old)])
            #expect(stale.status == 401)
            let fresh = try await requestToken(endpoint).text
            let ok = try await fetch(endpoint, instanceIDPath, headers: [(tokenHeader, fresh)])
            #expect(ok.status == 200)
        }
    }

    @Test("In unsupported mode the token PUT is 404 and plain GETs work")
    func unsupportedModeRefusesPUT() async throws {
        var state = SimState.sample
        state.tokenMode = .unsupported
        try await withSimulator(state) { _, endpoint in
            let token = try await requestToken(endpoint)
            #expect(token.status == 404)
            #expect(token.contentType == "text/html")
            let plain = try await fetch(endpoint, instanceIDPath)
            #expect(plain.status == 200)
        }
    }

    @Test("A GET on the token path is refused with 405")
    func getOnTokenPath() async throws {
        try await withSimulator { _, endpoint in
            let response = try await fetch(endpoint, tokenPath)
            #expect(response.status == 405)
        }
    }

    @Test("setTokenMode switches to required mode at once")
    func setTokenModeTakesEffect() async throws {
        try await withSimulator { sim, endpoint in
            let before = try await fetch(endpoint, instanceIDPath)
            sim.setTokenMode(.required)
            let after = try await fetch(endpoint, instanceIDPath)
            #expect(before.status == 200)
            #expect(after.status == 403)
            #expect(sim.state().tokenMode == .required)
        }
    }
}
