// SPDX-License-Identifier: Apache-2.0
// Renders metadata keys from the state document in Alibaba's formats (docs/metadata.md, "Keys"). Pure:
// a path and a document in, a status and a body out. It renders and never parses, so it cannot
// share a mistake with the client's parsers.

enum IMDSPath {
    static let versionAlias = "/2016-01-01"
    static let tokenPath = "/latest/api/token"

    /// The one normalisation the contract allows: `/2016-01-01/...` is `/latest/...`.
    static func canonical(_ path: String) -> String {
        if path == versionAlias { return "/latest" }
        if path.hasPrefix(versionAlias + "/") { return "/latest" + path.dropFirst(versionAlias.count) }
        return path
    }

    /// The request target without its query string.
    static func path(ofURI uri: String) -> String {
        String(uri.prefix { $0 != "?" && $0 != "#" })
    }
}

/// What a metadata GET answers before faults and framing are applied.
struct Rendered: Equatable {
    var status: Int
    var contentType: String
    var body: String

    static func text(_ body: String) -> Rendered { Rendered(status: 200, contentType: "text/plain", body: body) }

    /// Alibaba answers errors with an HTML page; clients must decide on the status code alone.
    static func error(_ status: Int, _ reason: String) -> Rendered {
        let title = "\(status) \(reason)"
        let body = """
            <html>
            <head><title>\(title)</title></head>
            <body>
            <h1>\(title)</h1>
            <p>The requested URL was not found on this server or could not be served.</p>
            <hr><address>imds-sim</address>
            </body>
            </html>

            """
        return Rendered(status: status, contentType: "text/html", body: body)
    }

    static let notFound = error(404, "Not Found")
}

enum MetadataRenderer {
    /// Answers a GET for `path` (already canonical, query removed).
    static func render(path: String, state: SimState) -> Rendered {
        // A directory may be asked for with or without its trailing slash; a plain key only
        // without. Empty segments (`//`) are a client bug the simulator should expose, not hide.
        let isDirectoryRequest = path.hasSuffix("/") && path != "/"
        let trimmed = isDirectoryRequest ? String(path.dropLast()) : path
        guard trimmed.hasPrefix("/") else { return .notFound }
        let segments = trimmed == "/" ? [] : trimmed.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if segments.contains(where: \.isEmpty) { return .notFound }

        switch segments {
        case []:
            return listing(["latest/", "2016-01-01/"])
        case ["latest"]:
            return listing(["meta-data/"])
        case ["latest", "meta-data"]:
            return listing(instanceKeys(state).map(\.name) + ["network/"])
        case ["latest", "meta-data", "network"]:
            return listing(["interfaces/"])
        case ["latest", "meta-data", "network", "interfaces"]:
            return listing(["macs/"])
        case ["latest", "meta-data", "network", "interfaces", "macs"]:
            return listing(state.enis.map { $0.mac + "/" })
        default:
            break
        }

        if segments.count == 3, segments[0] == "latest", segments[1] == "meta-data" {
            guard !isDirectoryRequest,
                let value = instanceKeys(state).first(where: { $0.name == segments[2] })?.value
            else { return .notFound }
            return .text(value)
        }

        let macsPrefix = ["latest", "meta-data", "network", "interfaces", "macs"]
        guard segments.count >= 6, segments.count <= 7, Array(segments.prefix(5)) == macsPrefix,
            let eni = state.eni(mac: segments[5])
        else { return .notFound }
        let keys = eniKeys(eni, prefixes: state.prefixListFormat)
        if segments.count == 6 { return listing(keys.map(\.name)) }
        guard !isDirectoryRequest, let value = keys.first(where: { $0.name == segments[6] })?.value else {
            return .notFound
        }
        return .text(value)
    }

    /// One entry per line, no trailing newline, like every other plain value.
    static func listing(_ names: [String]) -> Rendered { .text(names.joined(separator: "\n")) }

    /// The instance-level keys present in the document, in a stable order.
    static func instanceKeys(_ state: SimState) -> [(name: String, value: String)] {
        let primary = state.primaryENI
        let all: [(String, String?)] = [
            ("instance-id", state.instanceID),
            ("region-id", state.regionID),
            ("zone-id", state.zoneID),
            ("mac", primary?.mac),
            ("private-ipv4", primary?.primaryIP),
            ("vpc-id", state.vpcID),
            ("vswitch-id", primary?.vswitchID),
        ]
        return all.compactMap { name, value in value.map { (name, $0) } }
    }

    /// The per-ENI keys of the SPEC table present for this ENI, rendered.
    static func eniKeys(_ eni: SimENI, prefixes format: PrefixListFormat = .lines) -> [(name: String, value: String)] {
        let all: [(String, String?)] = [
            ("network-interface-id", eni.id),
            ("primary-ip-address", eni.primaryIP),
            ("private-ipv4s", eni.privateIPv4s.map(jsonStringArray)),
            ("netmask", eni.netmask),
            ("gateway", eni.gateway),
            ("vswitch-cidr-block", eni.vswitchCIDR),
            ("vpc-cidr-block", eni.vpcCIDR),
            ("vswitch-id", eni.vswitchID),
            ("vpc-id", eni.vpcID),
            ("ipv6s", eni.ipv6s.map(bracketed)),
            ("ipv6-gateway", eni.ipv6Gateway),
            ("vswitch-ipv6-cidr-block", eni.vswitchIPv6CIDR),
            ("vpc-ipv6-cidr-blocks", eni.vpcIPv6CIDRs.map(bracketed)),
            ("ipv4-prefixes", eni.ipv4Prefixes.map { prefixList($0, format) }),
            ("ipv6-prefixes", eni.ipv6Prefixes.map { prefixList($0, format) }),
        ]
        return all.compactMap { name, value in value.map { (name, $0) } }
    }

    static func prefixList(_ items: [String], _ format: PrefixListFormat) -> String {
        switch format {
        case .lines: items.joined(separator: "\n")
        case .crlf: items.joined(separator: "\r\n")
        case .json: jsonStringArray(items)
        case .bracketed: bracketed(items)
        case .comma: items.joined(separator: ",")
        case .space: items.joined(separator: " ")
        }
    }

    /// `["192.168.1.201","192.168.1.202"]`: quoted, no spaces (as `private-ipv4s` is served).
    static func jsonStringArray(_ items: [String]) -> String {
        "[" + items.map { "\"" + jsonEscaped($0) + "\"" }.joined(separator: ",") + "]"
    }

    /// `[2408:4005::1,2408:4005::2]`: bracketed and unquoted (as `ipv6s` is served).
    static func bracketed(_ items: [String]) -> String {
        "[" + items.joined(separator: ",") + "]"
    }

    static func jsonEscaped(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
