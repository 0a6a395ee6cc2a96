// SPDX-License-Identifier: Apache-2.0
import CNetlink
import Model
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A multicast subscription to link, address, route and rule changes (both families), on its
/// own socket, read by its own thread. Subscribed, and the links it compares link changes with
/// read, when `init` returns, so nothing that happens after is missed. One consumer; iteration
/// ends on `stop()`, deinit or cancellation.
public final class NetlinkEvents: AsyncSequence, Sendable {
    public typealias Element = NetlinkEvent

    private let stream: AsyncStream<NetlinkEvent>
    private let reader: EventReader

    public init(namespacePath: String? = nil) throws(NetlinkError) {
        let socket = try RouteSocket(namespacePath: namespacePath, receiveBuffer: 8 << 20)
        nl_socket_disable_seq_check(socket.sock)
        for group in [RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE,
                      RTNLGRP_IPV4_RULE, RTNLGRP_IPV6_RULE] {
            let rc = nl_socket_add_membership(socket.sock, Int32(group.rawValue))
            if rc < 0 { throw NetlinkError.libnl("subscribe to rtnetlink group \(group.rawValue)", rc) }
        }
        let (stream, continuation) = AsyncStream.makeStream(of: NetlinkEvent.self)
        let collector = try EventCollector(socket: socket, continuation: continuation)
        _ = nl_socket_set_nonblocking(socket.sock)
        let wake = eni_eventfd()
        guard wake >= 0 else { throw NetlinkError.system("eventfd", errno) }
        self.stream = stream
        reader = EventReader(socket: socket, collector: collector, wake: wake, continuation: continuation)
        let reader = self.reader
        continuation.onTermination = { _ in reader.stop() }
        try reader.start()
    }

    deinit {
        reader.stop()
    }

    /// Ends the iteration; the reader thread then closes the socket and exits (promptly, but
    /// without this call waiting for it).
    public func stop() {
        reader.stop()
    }

    public func makeAsyncIterator() -> AsyncStream<NetlinkEvent>.Iterator {
        stream.makeAsyncIterator()
    }
}

/// The thread that reads the event socket: poll() on it and an eventfd that `stop()` writes.
/// The thread is detached and owns the socket: `stop()` only signals, never waits, because it
/// may run inside a task's cancellation (AsyncStream's onTermination) where waiting for a
/// thread that is itself resuming that task would deadlock.
private final class EventReader: @unchecked Sendable {
    // Owned by the reader thread once started, which frees it when it ends (a subscribed
    // socket kept open would go on queueing every change in kernel memory); `state` guards the
    // eventfd's lifetime.
    private var socket: RouteSocket?
    private var collector: EventCollector?
    private let continuation: AsyncStream<NetlinkEvent>.Continuation
    private let state: Mutex<(wake: Int32, stopped: Bool)>

    init(socket: RouteSocket, collector: EventCollector, wake: Int32, continuation: AsyncStream<NetlinkEvent>.Continuation) {
        self.socket = socket
        self.collector = collector
        self.continuation = continuation
        state = Mutex((wake, false))
    }

    func start() throws(NetlinkError) {
        var thread = pthread_t()
        let retained = Unmanaged.passRetained(self)
        let rc = pthread_create(&thread, nil, { arg in
            let reader = Unmanaged<EventReader>.fromOpaque(arg!).takeRetainedValue()
            reader.loop()
            return nil
        }, retained.toOpaque())
        guard rc == 0 else {
            retained.release()
            state.withLock { state in
                state.stopped = true
                close(state.wake)
                state.wake = -1
            }
            throw NetlinkError.system("start the event thread", rc)
        }
        pthread_detach(thread)
    }

    /// Asks the thread to finish; returns at once.
    func stop() {
        state.withLock { state in
            guard !state.stopped else { return }
            state.stopped = true
            var one: UInt64 = 1
            _ = write(state.wake, &one, 8)
        }
    }

    private func loop() {
        let wake = state.withLock { $0.wake }
        if let socket, let collector {
            var fds = [pollfd(fd: socket.fd, events: Int16(POLLIN), revents: 0), pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
            while true {
                let n = poll(&fds, 2, -1)
                if n < 0 && errno == EINTR { continue }
                if n < 0 || fds[1].revents != 0 { break }
                if fds[0].revents & Int16(POLLIN) != 0 { collector.receive() }
            }
        }
        collector = nil
        socket = nil
        state.withLock { state in
            state.stopped = true
            close(state.wake)
            state.wake = -1
        }
        continuation.finish()
    }
}

/// Turns the event socket's messages into events. It keeps the links it has seen, read by a
/// link dump on the same socket when it starts (and again after an overflow), to say what an
/// RTM_NEWLINK changed (the kernel does not say) and to name the links of addresses and routes.
/// Used by `init`, then by the reader thread only.
private final class EventCollector {
    private let socket: RouteSocket
    private let continuation: AsyncStream<NetlinkEvent>.Continuation
    private let cb: OpaquePointer
    private var links: [Int32: Link] = [:]
    /// The sequence number of the link dump in flight, whose answer fills `links` silently.
    private var seed: UInt32?

    /// Reads the links before it returns (the socket is blocking then).
    init(socket: RouteSocket, continuation: AsyncStream<NetlinkEvent>.Continuation) throws(NetlinkError) {
        self.socket = socket
        self.continuation = continuation
        guard let cb = nl_cb_alloc(NL_CB_DEFAULT) else { throw NetlinkError.system("nl_cb_alloc", ENOMEM) }
        self.cb = cb
        let context = Unmanaged.passUnretained(self).toOpaque()
        // Multicast messages carry sequence number 0: the default check would drop them all.
        nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, { _, _ in Int32(NL_OK.rawValue) }, nil)
        nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, { msg, arg in
            Unmanaged<EventCollector>.fromOpaque(arg!).takeUnretainedValue().handle(msg!)
            return Int32(NL_OK.rawValue)
        }, context)
        nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, { _, _ in Int32(NL_OK.rawValue) }, nil)
        nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, { msg, arg in
            Unmanaged<EventCollector>.fromOpaque(arg!).takeUnretainedValue().seedEnded(nlmsg_hdr(msg))
            return Int32(NL_STOP.rawValue)
        }, context)
        nl_cb_err(cb, NL_CB_CUSTOM, { _, err, arg in
            if let err { Unmanaged<EventCollector>.fromOpaque(arg!).takeUnretainedValue().seedEnded(UnsafeMutablePointer(mutating: eni_nlmsgerr_header(err))) }
            return Int32(NL_SKIP.rawValue)
        }, context)
        try requestSeed()
        while seed != nil {
            let rc = nl_recvmsgs(socket.sock, cb)
            if rc == -NLE_NOMEM { continuation.yield(.overflow) } else if rc < 0 && rc != -NLE_INTR && rc != -NLE_AGAIN {
                throw NetlinkError.libnl("read the links", rc)
            }
        }
    }

    deinit {
        nl_cb_put(cb)
    }

    /// Reads what the socket holds.
    func receive() {
        let rc = nl_recvmsgs(socket.sock, cb)
        if rc == -NLE_NOMEM {
            // ENOBUFS: events were lost, link changes among them; read the links again.
            continuation.yield(.overflow)
            try? requestSeed()
        }
    }

    private func requestSeed() throws(NetlinkError) {
        guard let request = RouteSocket.dumpRequest(.links) else { throw NetlinkError.system("build a link dump", ENOMEM) }
        seed = try socket.send(request).get()
    }

    private func isSeed(_ hdr: UnsafeMutablePointer<nlmsghdr>?) -> Bool {
        guard let seed, let hdr else { return false }
        return hdr.pointee.nlmsg_seq == seed && hdr.pointee.nlmsg_pid == socket.port
    }

    private func seedEnded(_ hdr: UnsafeMutablePointer<nlmsghdr>?) {
        if isSeed(hdr) { seed = nil }
    }

    private func handle(_ msg: OpaquePointer) {
        let hdr = nlmsg_hdr(msg)
        let type = Int32(hdr!.pointee.nlmsg_type)
        if isSeed(hdr) {
            if type == Int32(RTM_NEWLINK), Messages.isLinkMessage(msg), let link = try? Messages.link(msg) { links[link.index] = link }
            return
        }
        do throws(NetlinkError) {
            switch type {
            case Int32(RTM_NEWLINK):
                guard Messages.isLinkMessage(msg) else { return }
                let link = try Messages.link(msg)
                let previous = links.updateValue(link, forKey: link.index)
                if Messages.isNewLink(msg) {
                    continuation.yield(.linkAdded(link))
                } else {
                    let changes = previous.map { LinkChanges(from: $0, to: link) } ?? .all
                    if !changes.isEmpty { continuation.yield(.linkChanged(link, changes: changes)) }
                }
            case Int32(RTM_DELLINK):
                guard Messages.isLinkMessage(msg) else { return }
                let link = try Messages.link(msg)
                links[link.index] = nil
                continuation.yield(.linkRemoved(link))
            case Int32(RTM_NEWADDR):
                if let a = try Messages.address(msg, names: name) { continuation.yield(.addressAdded(a)) }
            case Int32(RTM_DELADDR):
                if let a = try Messages.address(msg, names: name) { continuation.yield(.addressRemoved(a)) }
            case Int32(RTM_NEWROUTE):
                if let r = try Messages.route(msg, names: name) { continuation.yield(.routeAdded(r)) }
            case Int32(RTM_DELROUTE):
                if let r = try Messages.route(msg, names: name) { continuation.yield(.routeRemoved(r)) }
            case Int32(RTM_NEWRULE):
                if let r = try Messages.rule(msg) { continuation.yield(.ruleAdded(r)) }
            case Int32(RTM_DELRULE):
                if let r = try Messages.rule(msg) { continuation.yield(.ruleRemoved(r)) }
            default:
                break
            }
        } catch {
            // An event that cannot be read is as good as lost.
            continuation.yield(.overflow)
        }
    }

    private func name(_ index: Int32) -> String? { links[index]?.name }
}
