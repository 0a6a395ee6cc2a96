// SPDX-License-Identifier: Apache-2.0
// The endpoint forms `--imds-endpoint` accepts and refuses.

import Metadata
import Testing

@Suite struct EndpointParsing {
    @Test func theDefaultEndpointGivesPort80() {
        let configuration = MetadataConfiguration(endpoint: "http://100.100.100.200")
        #expect(configuration?.host == "100.100.100.200")
        #expect(configuration?.port == 80)
    }

    @Test func aPortAndATrailingSlashAreAccepted() {
        let configuration = MetadataConfiguration(endpoint: "http://127.0.0.1:8080/")
        #expect(configuration?.host == "127.0.0.1")
        #expect(configuration?.port == 8080)
    }

    @Test func aBracketedIPv6LiteralIsAccepted() {
        let configuration = MetadataConfiguration(endpoint: "http://[::1]:8080")
        #expect(configuration?.host == "::1")
        #expect(configuration?.port == 8080)
    }

    @Test(arguments: [
        "https://100.100.100.200", "http://100.100.100.200/latest", "100.100.100.200", "http://",
        "http://127.0.0.1:0", "http://127.0.0.1:65536", "http://127.0.0.1:80a", "http://user@host",
        "http://host?x=1", "http://[::1", "http://[zz::1]:80", "http://a:1:2", "ftp://host",
    ])
    func anInvalidEndpointIsRefused(endpoint: String) {
        #expect(MetadataConfiguration(endpoint: endpoint) == nil)
    }

    @Test func everyOtherSettingKeepsItsDefault() {
        let configuration = MetadataConfiguration(endpoint: "http://127.0.0.1:8080")
        #expect(configuration?.tokenMode == .auto)
        #expect(configuration?.maxBodyBytes == 65536)
    }
}
