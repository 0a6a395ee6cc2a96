// SPDX-License-Identifier: Apache-2.0
import CNetlink
#if canImport(Glibc)
import Glibc
#endif

/// One NETLINK_ROUTE socket (libnl `nl_sock`). Not Sendable: it lives inside `NetlinkClient`
/// (an actor) or on the events thread, and never hands its pointer out.
final class RouteSocket {
    let sock: OpaquePointer

    /// Requests in flight before the socket waits for their acknowledgements: enough to keep the
    /// kernel busy, few enough that their ACKs never overflow the receive buffer.
    static let window = 64

    /// A socket in the caller's network namespace, or in the one at `namespacePath`.
    init(namespacePath: String?, receiveBuffer: Int32 = 4 << 20) throws(NetlinkError) {
        sock = try Namespace.run(in: namespacePath) { () throws(NetlinkError) -> OpaquePointer in
            guard let sock = nl_socket_alloc() else { throw NetlinkError.system("nl_socket_alloc", ENOMEM) }
            let rc = nl_connect(sock, NETLINK_ROUTE)
            if rc < 0 {
                nl_socket_free(sock)
                throw NetlinkError.libnl("connect a NETLINK_ROUTE socket", rc)
            }
            return sock
        }
        // Dumps of thousands of rules, pipelined ACKs, and the burst of events a large apply
        // causes need more than the default. SO_RCVBUF is capped by net.core.rmem_max (208 KiB
        // by default); SO_RCVBUFFORCE is not, and needs the CAP_NET_ADMIN the agent has anyway.
        _ = nl_socket_set_buffer_size(sock, receiveBuffer, 1 << 20)
        var size = receiveBuffer
        _ = setsockopt(nl_socket_get_fd(sock), SOL_SOCKET, 33 /* SO_RCVBUFFORCE */, &size, socklen_t(MemoryLayout<Int32>.size))
        _ = nl_socket_set_msg_buf_size(sock, 64 << 10)
        // The kernel's own words for a refusal ("Nexthop has invalid gateway"), and ACKs that do
        // not echo the whole request.
        var one: Int32 = 1
        let fd = nl_socket_get_fd(sock)
        _ = setsockopt(fd, 270 /* SOL_NETLINK */, NETLINK_EXT_ACK, &one, socklen_t(MemoryLayout<Int32>.size))
        _ = setsockopt(fd, 270 /* SOL_NETLINK */, NETLINK_CAP_ACK, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit {
        nl_socket_free(sock)
    }

    var fd: Int32 { nl_socket_get_fd(sock) }

    /// The socket's netlink port: the kernel's answers to this socket carry it.
    var port: UInt32 { nl_socket_get_local_port(sock) }

    /// Sends one request, taking ownership of `msg`: its sequence number, or libnl's error code.
    func send(_ msg: OpaquePointer) -> Result<UInt32, NetlinkError> {
        nl_complete_msg(sock, msg)
        let sequence = nlmsg_hdr(msg).pointee.nlmsg_seq
        let sent = nl_send(sock, msg)
        nlmsg_free(msg)
        return sent < 0 ? .failure(.libnl("send a request", sent)) : .success(sequence)
    }

    /// What a dump reads: the request type, and the words for errors.
    struct DumpKind {
        var type: Int32
        var what: String

        static let links = DumpKind(type: Int32(RTM_GETLINK), what: "links")
        static let addresses = DumpKind(type: Int32(RTM_GETADDR), what: "addresses")
        static let routes = DumpKind(type: Int32(RTM_GETROUTE), what: "routes")
        static let rules = DumpKind(type: Int32(RTM_GETRULE), what: "rules")
    }

    /// A dump request for every object of `kind`, all families.
    static func dumpRequest(_ kind: DumpKind) -> OpaquePointer? {
        guard let msg = nlmsg_alloc_simple(kind.type, NLM_F_DUMP) else { return nil }
        var gen = rtgenmsg(rtgen_family: UInt8(AF_UNSPEC))
        guard nlmsg_append(msg, &gen, MemoryLayout<rtgenmsg>.size, Int32(NLMSG_ALIGNTO)) == 0 else {
            nlmsg_free(msg)
            return nil
        }
        return msg
    }

    /// Dumps every object of one kind of all families: what `parse` makes of each message. A
    /// dump the kernel marks inconsistent (the objects changed while it ran) is read again from
    /// scratch, and only the last, whole read is returned. A message `parse` throws for fails
    /// the dump once the rest of it has been read (nothing of it is left on the socket).
    func dump<T>(_ kind: DumpKind, _ parse: (OpaquePointer) throws(NetlinkError) -> T?) throws(NetlinkError) -> [T] {
        let what = kind.what
        let attempts = 5
        for attempt in 1...attempts {
            // Fresh for every attempt: what an interrupted read delivered is thrown away with it.
            var items: [T] = []
            var failure: NetlinkError?
            let end = withoutActuallyEscaping({ (msg: OpaquePointer) in
                guard failure == nil else { return }
                do throws(NetlinkError) {
                    if let item = try parse(msg) { items.append(item) }
                } catch {
                    failure = error
                }
            }) { body in dumpOnce(kind, body) }
            switch end {
            case .complete:
                if let failure { throw failure }
                return items
            case .interrupted where attempt < attempts, .socket(-NLE_NOMEM) where attempt < attempts:
                // Changed while read, or the socket overflowed: read it all again.
                continue
            case .kernel(EBUSY) where attempt < attempts:
                // The kernel runs one dump per socket at a time: an earlier one nobody read to its
                // end is still running. Read it away, then ask again.
                discardPending()
                continue
            case .interrupted:
                throw NetlinkError(operation: "dump \(what)", errno: EAGAIN,
                                   message: "the kernel's \(what) kept changing while they were read (\(attempts) tries)")
            case .kernel(let errno):
                throw NetlinkError.system("dump \(what)", errno)
            case .socket(let code):
                throw NetlinkError.libnl("dump \(what)", code)
            }
        }
        return []
    }

    enum DumpEnd: Equatable {
        case complete
        case interrupted
        /// The kernel refused the dump or failed part-way: its errno.
        case kernel(Int32)
        /// Reading the socket failed: libnl's code.
        case socket(Int32)
    }

    /// One dump request and its whole answer, read up to this request's own NLMSG_DONE. Only
    /// messages that carry this socket's port and this request's sequence number are the
    /// answer: anything else on the socket (the ACK or the rest of a dump of an earlier request
    /// whose reader gave up) is read and dropped, so it can never end this dump early and make
    /// a short read look complete.
    func dumpOnce(_ kind: DumpKind, _ body: @escaping (OpaquePointer) -> Void) -> DumpEnd {
        guard let request = Self.dumpRequest(kind) else { return .socket(-NLE_NOMEM) }
        let sequence: UInt32
        switch send(request) {
        case .success(let seq): sequence = seq
        case .failure(let error): return .kernel(error.errno)
        }
        let collector = DumpCollector(body, sequence: sequence, port: port)
        return withExtendedLifetime(collector) { () -> DumpEnd in
            guard let cb = nl_cb_alloc(NL_CB_DEFAULT) else { return .socket(-NLE_NOMEM) }
            defer { nl_cb_put(cb) }
            let context = Unmanaged.passUnretained(collector).toOpaque()
            nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, { _, _ in Int32(NL_OK.rawValue) }, nil)
            nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, { msg, arg in
                let collector = DumpCollector.from(arg)
                guard collector.owns(nlmsg_hdr(msg)) else { return Int32(NL_SKIP.rawValue) }
                collector.body(msg!)
                return Int32(NL_OK.rawValue)
            }, context)
            nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, { msg, arg in
                let collector = DumpCollector.from(arg)
                if collector.owns(nlmsg_hdr(msg)) { collector.interrupted = true }
                return Int32(NL_OK.rawValue)
            }, context)
            nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, { msg, arg in
                let collector = DumpCollector.from(arg)
                let hdr = nlmsg_hdr(msg)!
                guard collector.owns(hdr) else { return Int32(NL_SKIP.rawValue) }
                // A dump that fails part-way says so in NLMSG_DONE's payload (a negative errno).
                if nlmsg_datalen(hdr) >= 4 {
                    let code = nlmsg_data(hdr).loadUnaligned(as: Int32.self)
                    if code < 0 { collector.error = -code }
                }
                collector.done = true
                return Int32(NL_STOP.rawValue)
            }, context)
            nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, { msg, arg in
                let collector = DumpCollector.from(arg)
                guard collector.owns(nlmsg_hdr(msg)) else { return Int32(NL_SKIP.rawValue) }
                collector.done = true
                return Int32(NL_STOP.rawValue)
            }, context)
            nl_cb_err(cb, NL_CB_CUSTOM, { _, err, arg in
                let collector = DumpCollector.from(arg)
                guard let err, collector.owns(UnsafeMutablePointer(mutating: eni_nlmsgerr_header(err))) else {
                    return Int32(NL_SKIP.rawValue)
                }
                collector.error = -err.pointee.error
                collector.done = true
                return Int32(NL_STOP.rawValue)
            }, context)
            // libnl returns after a stale NLMSG_DONE it was told to skip: read on until ours.
            while !collector.done {
                let rc = nl_recvmsgs(sock, cb)
                if !collector.done && rc < 0 && rc != -NLE_INTR && rc != -NLE_AGAIN { return .socket(rc) }
            }
            if collector.error != 0 { return .kernel(collector.error) }
            return collector.interrupted ? .interrupted : .complete
        }
    }

    /// Reads and drops whatever the socket holds, up to the end of any dump still running on it
    /// (reading its last part is what lets the kernel produce the next).
    func discardPending() {
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        var pending = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while poll(&pending, 1, 0) > 0 {
            let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if n < 0 && errno != ENOBUFS && errno != EINTR { break }
        }
    }

    /// Sends `count` requests (`build(i)` makes the i-th; the socket owns it then) pipelined,
    /// `window` at a time, and returns each one's answer in order: errno 0 for an ACK, else the
    /// kernel's errno and message. Built as they are sent, so that only a window's messages
    /// exist at once (libnl gives each a page). A request whose answer was lost (the receive
    /// buffer overflowed: ENOBUFS) is `unknown`: the kernel may well have applied it.
    func transact(count: Int, _ build: (Int) -> OpaquePointer?) -> [Answer] {
        var answers = [Answer?](repeating: nil, count: count)
        let inbox = AckInbox()
        guard let cb = nl_cb_alloc(NL_CB_DEFAULT) else {
            return (0..<count).map { _ in Answer(errno: ENOMEM, message: "out of memory") }
        }
        defer { nl_cb_put(cb) }
        let context = Unmanaged.passUnretained(inbox).toOpaque()
        // Answers are matched by sequence number below; libnl's running check would instead
        // fail every later exchange if one number were ever lost.
        nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, { _, _ in Int32(NL_OK.rawValue) }, nil)
        nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, { msg, arg in
            let inbox = Unmanaged<AckInbox>.fromOpaque(arg!).takeUnretainedValue()
            inbox.answers[nlmsg_hdr(msg).pointee.nlmsg_seq] = Answer(errno: 0, message: nil)
            return Int32(NL_OK.rawValue)
        }, context)
        nl_cb_err(cb, NL_CB_CUSTOM, { _, err, arg in
            let inbox = Unmanaged<AckInbox>.fromOpaque(arg!).takeUnretainedValue()
            guard let err else { return Int32(NL_SKIP.rawValue) }
            inbox.answers[err.pointee.msg.nlmsg_seq] = Answer(errno: -err.pointee.error, message: extendedAckMessage(err))
            return Int32(NL_OK.rawValue)
        }, context)

        var sequence = [UInt32](repeating: 0, count: count)
        var window = Self.window
        var next = 0
        var outstanding: [Int] = []
        func collect() {
            outstanding.removeAll { index in
                guard let answer = inbox.answers.removeValue(forKey: sequence[index]) else { return false }
                answers[index] = answer
                return true
            }
        }
        withExtendedLifetime(inbox) {
            while next < count || !outstanding.isEmpty {
                while next < count && outstanding.count < window {
                    defer { next += 1 }
                    guard let msg = build(next) else {
                        answers[next] = Answer(errno: ENOMEM, message: "cannot build the netlink request")
                        continue
                    }
                    switch send(msg) {
                    case .success(let seq):
                        sequence[next] = seq
                        outstanding.append(next)
                    case .failure(let error):
                        answers[next] = Answer(errno: error.errno, message: error.message)
                    }
                }
                guard !outstanding.isEmpty else { continue }
                let rc = nl_recvmsgs(sock, cb)
                collect()
                guard rc < 0 && rc != -NLE_AGAIN && rc != -NLE_INTR && !outstanding.isEmpty else { continue }
                // The socket failed, typically ENOBUFS (which libnl reports as NLE_NOMEM): answers
                // were dropped because the receive buffer was full. rtnetlink handles a request
                // inside the send() that delivers it, so every answer that will ever come is
                // queued by now: read them, and what is still unanswered is unknown. Reading
                // them all also ends the overflow: until its queue is empty the kernel keeps the
                // socket marked congested and drops every new answer without another ENOBUFS, so
                // the next window's wait for them would never end.
                var pending = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                while poll(&pending, 1, 0) > 0 && nl_recvmsgs(sock, cb) >= 0 {}
                collect()
                let overflow = rc == -NLE_NOMEM
                let reason = overflow ? "its answer was lost when the socket's receive buffer overflowed (ENOBUFS)"
                    : "reading the answer failed: \(String(cString: nl_geterror(rc)))"
                for index in outstanding {
                    answers[index] = Answer(errno: overflow ? ENOBUFS : errnoFromLibnl(rc),
                                            message: "\(reason); the kernel may have applied it", unknown: true)
                }
                outstanding.removeAll()
                // Fewer requests in flight, fewer answers queued at once.
                if overflow { window = max(1, window / 2) }
            }
        }
        return answers.map { $0 ?? Answer(errno: EIO, message: "no answer", unknown: true) }
    }

    struct Answer {
        var errno: Int32
        var message: String?
        /// Sent, but whether the kernel applied it is not known.
        var unknown = false
    }
}

private final class DumpCollector {
    let body: (OpaquePointer) -> Void
    let sequence: UInt32
    let port: UInt32
    var done = false
    var interrupted = false
    var error: Int32 = 0

    init(_ body: @escaping (OpaquePointer) -> Void, sequence: UInt32, port: UInt32) {
        self.body = body
        self.sequence = sequence
        self.port = port
    }

    static func from(_ arg: UnsafeMutableRawPointer?) -> DumpCollector {
        Unmanaged<DumpCollector>.fromOpaque(arg!).takeUnretainedValue()
    }

    /// Part of the answer to this dump's request.
    func owns(_ hdr: UnsafeMutablePointer<nlmsghdr>?) -> Bool {
        guard let hdr else { return false }
        return hdr.pointee.nlmsg_seq == sequence && hdr.pointee.nlmsg_pid == port
    }
}

private final class AckInbox {
    var answers: [UInt32: RouteSocket.Answer] = [:]
}

/// NLMSGERR_ATTR_MSG from an error's extended-ACK TLVs, if the kernel sent one.
private func extendedAckMessage(_ err: UnsafeMutablePointer<nlmsgerr>) -> String? {
    let header = eni_nlmsgerr_header(err)!
    guard header.pointee.nlmsg_flags & UInt16(NLM_F_ACK_TLVS) != 0 else { return nil }
    var offset = MemoryLayout<nlmsgerr>.size
    if header.pointee.nlmsg_flags & UInt16(NLM_F_CAPPED) == 0 {
        offset += Int(err.pointee.msg.nlmsg_len) - MemoryLayout<nlmsghdr>.size
    }
    let payloadLength = Int(header.pointee.nlmsg_len) - Int(NLMSG_HDRLEN)
    guard offset < payloadLength else { return nil }
    let base = UnsafeMutableRawPointer(err).advanced(by: (offset + 3) & ~3)
    guard let attr = nla_find(base.assumingMemoryBound(to: nlattr.self), Int32(payloadLength - ((offset + 3) & ~3)),
                              Int32(NLMSGERR_ATTR_MSG.rawValue)) else { return nil }
    return String(cString: nla_get_string(attr))
}

private let NLMSG_HDRLEN = (MemoryLayout<nlmsghdr>.size + 3) & ~3
