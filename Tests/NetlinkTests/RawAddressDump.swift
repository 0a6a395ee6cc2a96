// SPDX-License-Identifier: Apache-2.0
import Foundation
import Model
import TestSupport

/// IFA_PROTO of every address in a namespace, read with a plain AF_NETLINK socket and a
/// hand-written parser: the second opinion for what iproute2 6.1 cannot show (it neither sets
/// nor prints an address's protocol) and libnl 3.7 drops. Shares no code with `Netlink`.
enum RawAddressDump {
    /// "ifindex address" -> IFA_PROTO (nil when the kernel sent none).
    static func protocols(in ns: NetworkNamespace) async throws -> [String: UInt8?] {
        let path = ns.path
        return try await blocking { try read(path) }
    }

    private static func read(_ path: String) throws -> [String: UInt8?] {
        let fd = try socketInside(path)
        defer { close(fd) }
        // nlmsghdr (16 bytes) + ifaddrmsg (8 bytes): RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP.
        var request = [UInt8](repeating: 0, count: 24)
        put32(&request, 0, 24)
        put16(&request, 4, 22)
        put16(&request, 6, 0x1 | 0x300)
        put32(&request, 8, 1)
        guard send(fd, request, request.count, 0) == request.count else { throw TestFailure("send: \(errno)") }

        var result: [String: UInt8?] = [:]
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { throw TestFailure("recv: \(errno)") }
            var offset = 0
            while offset + 16 <= n {
                let length = Int(get32(buffer, offset))
                let type = get16(buffer, offset + 4)
                guard length >= 16, offset + length <= n else { throw TestFailure("truncated message") }
                if type == 3 { return result }  // NLMSG_DONE
                if type == 2 { throw TestFailure("dump refused: \(Int32(bitPattern: get32(buffer, offset + 16)))") }
                if type == 20 {  // RTM_NEWADDR
                    let index = get32(buffer, offset + 16 + 4)
                    var local: [UInt8]?
                    var address: [UInt8]?
                    var proto: UInt8?
                    var attr = offset + 24
                    while attr + 4 <= offset + length {
                        let attrLength = Int(get16(buffer, attr))
                        guard attrLength >= 4 else { break }
                        let payload = Array(buffer[(attr + 4)..<(attr + attrLength)])
                        switch get16(buffer, attr + 2) {
                        case 1: address = payload  // IFA_ADDRESS
                        case 2: local = payload  // IFA_LOCAL
                        case 11: proto = payload.first  // IFA_PROTO
                        default: break
                        }
                        attr += (attrLength + 3) & ~3
                    }
                    if let bytes = local ?? address, let ip = IPAddress(bytes: bytes) {
                        result["\(index) \(ip)"] = .some(proto)
                    }
                }
                offset += (length + 3) & ~3
            }
        }
    }

    /// A NETLINK_ROUTE socket created by a thread that entered the namespace and then ends.
    private static func socketInside(_ path: String) throws -> Int32 {
        typealias Setns = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "setns") else { throw TestFailure("no setns") }
        let setns = unsafeBitCast(symbol, to: Setns.self)
        let box = Box()
        let thread = Thread {
            let nsfd = open(path, O_RDONLY)
            if nsfd >= 0, setns(nsfd, 0x4000_0000 /* CLONE_NEWNET */) == 0 {
                box.fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue), 0 /* NETLINK_ROUTE */)
            }
            if nsfd >= 0 { close(nsfd) }
            box.done.signal()
        }
        thread.start()
        box.done.wait()
        guard box.fd >= 0 else { throw TestFailure("no netlink socket in \(path)") }
        return box.fd
    }

    private final class Box: @unchecked Sendable {
        var fd: Int32 = -1
        let done = DispatchSemaphore(value: 0)
    }

    private static func put16(_ b: inout [UInt8], _ at: Int, _ v: UInt16) {
        withUnsafeBytes(of: v.littleEndian) { b.replaceSubrange(at..<(at + 2), with: $0) }
    }

    private static func put32(_ b: inout [UInt8], _ at: Int, _ v: UInt32) {
        withUnsafeBytes(of: v.littleEndian) { b.replaceSubrange(at..<(at + 4), with: $0) }
    }

    private static func get16(_ b: [UInt8], _ at: Int) -> UInt16 { UInt16(b[at]) | UInt16(b[at + 1]) << 8 }

    private static func get32(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
    }
}
