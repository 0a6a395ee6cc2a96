// SPDX-License-Identifier: Apache-2.0
import CNetlink
#if canImport(Glibc)
import Glibc
#endif

/// A netlink failure: what was being done, the kernel's errno and its words for it.
public struct NetlinkError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var errno: Int32
    public var message: String

    public init(operation: String, errno: Int32, message: String) {
        self.operation = operation
        self.errno = errno
        self.message = message
    }

    public var description: String { "\(operation): \(message) (errno \(errno))" }

    /// From a libnl return code (negative NLE_*), mapped back to the errno it stands for.
    static func libnl(_ operation: String, _ code: Int32) -> NetlinkError {
        let errno = errnoFromLibnl(code)
        return NetlinkError(operation: operation, errno: errno, message: String(cString: nl_geterror(code)))
    }

    static func system(_ operation: String, _ errno: Int32) -> NetlinkError {
        NetlinkError(operation: operation, errno: errno, message: String(cString: strerror(errno)))
    }
}

/// libnl folds errnos into its own NLE_* codes; keep the errno the kernel meant.
func errnoFromLibnl(_ code: Int32) -> Int32 {
    switch -abs(code) {
    case -NLE_EXIST: EEXIST
    case -NLE_OBJ_NOTFOUND: ENOENT
    case -NLE_NOADDR: EADDRNOTAVAIL
    case -NLE_NODEV: ENODEV
    case -NLE_PERM: EPERM
    case -NLE_NOACCESS: EACCES
    case -NLE_INVAL: EINVAL
    case -NLE_BUSY: EBUSY
    case -NLE_RANGE: ERANGE
    case -NLE_NOMEM: ENOMEM
    case -NLE_AGAIN: EAGAIN
    case -NLE_INTR: EINTR
    case -NLE_AF_NOSUPPORT: EAFNOSUPPORT
    case -NLE_PROTO_MISMATCH: EPROTONOSUPPORT
    case -NLE_OPNOTSUPP: EOPNOTSUPP
    case -NLE_MSGSIZE: EMSGSIZE
    case -NLE_BAD_SOCK: EBADF
    default: EIO
    }
}
