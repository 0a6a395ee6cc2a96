import CNetlink
public import Model
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A change the kernel announced.
public enum NetlinkEvent: Sendable, Hashable {
    case linkAdded(Link)
    case linkChanged(Link)
    case linkRemoved(index: Int32, name: String)
    case addressAdded(Address)
    case addressRemoved(Address)
    case ruleAdded(Rule)
    case ruleRemoved(Rule)
    /// The socket overflowed (ENOBUFS) and events were lost: re-read everything.
    case overflow
}

/// A multicast subscription to link, address and rule changes (both families), on its own
/// socket, read by its own thread. Subscribed when `init` returns, so nothing that happens
/// after is missed. One consumer; iteration ends on `stop()`, deinit or cancellation.
public final class NetlinkEvents: AsyncSequence, Sendable {
    public typealias Element = NetlinkEvent

    private let stream: AsyncStream<NetlinkEvent>
    private let reader: EventReader

    public init(namespacePath: String? = nil) throws(NetlinkError) {
        let socket = try RouteSocket(namespacePath: namespacePath, receiveBuffer: 8 << 20)
        nl_socket_disable_seq_check(socket.sock)
        for group in [RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, RTNLGRP_IPV4_RULE, RTNLGRP_IPV6_RULE] {
            let rc = nl_socket_add_membership(socket.sock, Int32(group.rawValue))
            if rc < 0 { throw NetlinkError.libnl("subscribe to rtnetlink group \(group.rawValue)", rc) }
        }
        _ = nl_socket_set_nonblocking(socket.sock)
        let wake = eni_eventfd()
        guard wake >= 0 else { throw NetlinkError.system("eventfd", errno) }
        let (stream, continuation) = AsyncStream.makeStream(of: NetlinkEvent.self)
        self.stream = stream
        reader = EventReader(socket: socket, wake: wake, continuation: continuation)
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
    private let continuation: AsyncStream<NetlinkEvent>.Continuation
    private let state: Mutex<(wake: Int32, stopped: Bool)>

    init(socket: RouteSocket, wake: Int32, continuation: AsyncStream<NetlinkEvent>.Continuation) {
        self.socket = socket
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
        let collector = EventCollector(continuation)
        if let socket, let cb = nl_cb_alloc(NL_CB_DEFAULT) {
            // Multicast messages carry sequence number 0: the default check would drop them all.
            nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, { _, _ in Int32(NL_OK.rawValue) }, nil)
            nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, { msg, arg in
                let collector = Unmanaged<EventCollector>.fromOpaque(arg!).takeUnretainedValue()
                collector.handle(msg!)
                return Int32(NL_OK.rawValue)
            }, Unmanaged.passUnretained(collector).toOpaque())
            withExtendedLifetime(collector) {
                var fds = [pollfd(fd: socket.fd, events: Int16(POLLIN), revents: 0), pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
                while true {
                    let n = poll(&fds, 2, -1)
                    if n < 0 && errno == EINTR { continue }
                    if n < 0 || fds[1].revents != 0 { break }
                    if fds[0].revents & Int16(POLLIN) != 0 {
                        let rc = nl_recvmsgs(socket.sock, cb)
                        if rc == -NLE_NOMEM { continuation.yield(.overflow) }
                    }
                }
            }
            nl_cb_put(cb)
        }
        socket = nil
        state.withLock { state in
            state.stopped = true
            close(state.wake)
            state.wake = -1
        }
        continuation.finish()
    }
}

private final class EventCollector {
    let continuation: AsyncStream<NetlinkEvent>.Continuation
    init(_ continuation: AsyncStream<NetlinkEvent>.Continuation) { self.continuation = continuation }

    func handle(_ msg: OpaquePointer) {
        let event: NetlinkEvent?
        switch Int32(nlmsg_hdr(msg).pointee.nlmsg_type) {
        case Int32(RTM_NEWLINK):
            event = (try? Messages.link(msg)).map { Messages.isNewLink(msg) ? .linkAdded($0) : .linkChanged($0) }
        case Int32(RTM_DELLINK):
            event = (try? Messages.link(msg)).map { .linkRemoved(index: $0.index, name: $0.name) }
        case Int32(RTM_NEWADDR):
            event = (try? Messages.address(msg) { _ in nil })?.map { .addressAdded($0) }
        case Int32(RTM_DELADDR):
            event = (try? Messages.address(msg) { _ in nil })?.map { .addressRemoved($0) }
        case Int32(RTM_NEWRULE):
            event = (try? Messages.rule(msg))?.map { .ruleAdded($0) }
        case Int32(RTM_DELRULE):
            event = (try? Messages.rule(msg))?.map { .ruleRemoved($0) }
        default:
            event = nil
        }
        if let event { continuation.yield(event) }
    }
}
