// SPDX-License-Identifier: Apache-2.0
#ifndef ENI_AGENT_CNETLINK_SHIM_H
#define ENI_AGENT_CNETLINK_SHIM_H

#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/cache.h>
#include <netlink/socket.h>
#include <netlink/errno.h>
#include <netlink/handlers.h>
#include <netlink/route/link.h>
#include <netlink/route/addr.h>
#include <netlink/route/route.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/rule.h>
#include <netlink/route/rtnl.h>
#include <netlink/route/link/inet.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/fib_rules.h>
#include <linux/ip.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <fcntl.h>
#include <poll.h>

/* Swift cannot call variadic syscall(2), and glibc declares setns/eventfd only under
 * _GNU_SOURCE; these wrappers give Netlink what it needs without either. */
static inline int eni_setns(int fd, int nstype) {
    return (int)syscall(__NR_setns, fd, nstype);
}

static inline int eni_eventfd(void) {
    return (int)syscall(__NR_eventfd2, 0, 00004000 /* EFD_NONBLOCK */ | 02000000 /* EFD_CLOEXEC */);
}

static inline int eni_clone_newnet(void) { return 0x40000000; }

/* The netlink header of the message an error callback's nlmsgerr belongs to. */
static inline const struct nlmsghdr *eni_nlmsgerr_header(const struct nlmsgerr *e) {
    return (const struct nlmsghdr *)((const char *)e - NLMSG_HDRLEN);
}

/* nl_msg_parse() hands the object it parsed to a callback and releases it afterwards: keep a
 * reference for the caller (who puts it), or NULL when the message type has no libnl parser. */
static inline void eni_keep_object(struct nl_object *obj, void *arg) {
    nl_object_get(obj);
    *(struct nl_object **)arg = obj;
}

static inline int eni_msg_parse(struct nl_msg *msg, struct nl_object **result) {
    *result = NULL;
    return nl_msg_parse(msg, eni_keep_object, result);
}

#endif
