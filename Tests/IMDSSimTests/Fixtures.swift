// SPDX-License-Identifier: Apache-2.0
import IMDSSim

let primaryMAC = "00:16:3e:00:00:01"
let secondaryMAC = "00:16:3e:00:00:02"
let bareMAC = "00:16:3e:00:00:09"
let macsPath = "/latest/meta-data/network/interfaces/macs/"

extension SimState {
    /// Two complete ENIs, and one with nothing but a MAC (every key of it is a 404).
    static let sample = SimState(
        instanceID: "i-bp1e3fhzdm2hgvz6q7ta", regionID: "cn-hangzhou", zoneID: "cn-hangzhou-k",
        vpcID: "vpc-bp1qpo0kug3a20qqe2ox5", tokenMode: .optional,
        enis: [
            SimENI(
                mac: primaryMAC, primary: true, id: "eni-bp1d66qjxb3qoin3ex01", primaryIP: "192.168.1.201",
                privateIPv4s: ["192.168.1.201", "192.168.1.202"], netmask: "255.255.255.0",
                gateway: "192.168.1.253", vswitchCIDR: "192.168.1.0/24", vpcCIDR: "192.168.0.0/16",
                vswitchID: "vsw-bp1s5fnvk4gn2tws03624", vpcID: "vpc-bp1qpo0kug3a20qqe2ox5",
                ipv6s: ["2408:4005:3a4:ab00::201"], ipv6Gateway: "2408:4005:3a4:ab00:ffff:ffff:ffff:fffd",
                vswitchIPv6CIDR: "2408:4005:3a4:ab00::/64", vpcIPv6CIDRs: ["2408:4005:3a4:ab00::/56"]
            ),
            SimENI(
                mac: secondaryMAC, id: "eni-bp1d66qjxb3qoin3ex02", primaryIP: "192.168.1.211",
                privateIPv4s: ["192.168.1.211", "192.168.1.212", "192.168.1.213"], netmask: "255.255.255.0",
                gateway: "192.168.1.253", vswitchCIDR: "192.168.1.0/24", vpcCIDR: "192.168.0.0/16",
                vswitchID: "vsw-bp1s5fnvk4gn2tws03624", vpcID: "vpc-bp1qpo0kug3a20qqe2ox5",
                ipv6s: ["2408:4005:3a4:ab00::211", "2408:4005:3a4:ab00::212"],
                ipv6Gateway: "2408:4005:3a4:ab00:ffff:ffff:ffff:fffd", vswitchIPv6CIDR: "2408:4005:3a4:ab00::/64",
                vpcIPv6CIDRs: ["2408:4005:3a4:ab00::/56", "2408:4005:3a4:cd00::/56"],
                ipv4Prefixes: ["192.168.1.32/28", "192.168.1.48/28"],
                ipv6Prefixes: ["2408:4005:3a4:ab00:1::/80", "2408:4005:3a4:ab00:2::/80"]
            ),
            SimENI(mac: bareMAC),
        ]
    )
}
