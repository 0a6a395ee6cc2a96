// SPDX-License-Identifier: Apache-2.0
/* arc4random, arc4random_buf and arc4random_uniform (glibc 2.36) for binaries that must also run
 * on glibc 2.28. libstdc++'s std::random_device calls arc4random when it was built against a
 * glibc that has it, as Debian 12's is.
 *
 * getrandom(2) is called by system call number: the kernel has it since 3.17 (every target runs
 * 4.18 or newer), and the raw call needs no glibc symbol at all (glibc's wrapper is 2.25). */

#include "CGlibcCompat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* 0 when buf is filled, else the errno of the first failed getrandom call. Blocks only until the
 * kernel's pool is initialised at boot, like glibc's arc4random. */
static int fill_from_getrandom(unsigned char *buf, size_t n) {
    while (n > 0) {
        long got = syscall(SYS_getrandom, buf, n, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        buf += got;
        n -= (size_t)got;
    }
    return 0;
}

static int fill_from_urandom(unsigned char *buf, size_t n) {
    int fd;
    do {
        fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return errno;
    int error = 0;
    while (n > 0) {
        ssize_t got = read(fd, buf, n);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
            error = got < 0 ? errno : EIO;
            break;
        }
        buf += got;
        n -= (size_t)got;
    }
    close(fd);
    return error;
}

static void entropy_failed(const char *what, int error) {
    /* No stdio: this may run in a process that is about to abort for want of randomness. */
    static const char prefix[] = "eni-agent: arc4random: no randomness: ";
    const char *reason = strerror(error);
    (void)!write(STDERR_FILENO, prefix, sizeof prefix - 1);
    (void)!write(STDERR_FILENO, what, strlen(what));
    (void)!write(STDERR_FILENO, ": ", 2);
    (void)!write(STDERR_FILENO, reason, strlen(reason));
    (void)!write(STDERR_FILENO, "; aborting\n", 11);
    abort();
}

void eni_arc4random_buf(void *buf, size_t n) {
    int error = fill_from_getrandom(buf, n);
    if (error == 0) return;
    /* A kernel without getrandom (ENOSYS), or a seccomp filter that denies it (EPERM): the
     * device gives the same bytes. Anything else from getrandom is a broken kernel. */
    if (error != ENOSYS && error != EPERM) entropy_failed("getrandom", error);
    error = fill_from_urandom(buf, n);
    if (error != 0) entropy_failed("/dev/urandom", error);
}

uint32_t eni_arc4random(void) {
    uint32_t value;
    eni_arc4random_buf(&value, sizeof value);
    return value;
}

uint32_t eni_arc4random_uniform(uint32_t upper_bound) {
    if (upper_bound < 2) return 0;
    /* 2^32 mod upper_bound: the values below it are the incomplete last cycle of the modulo and
     * would make the small results more likely; drawing again past them keeps every result
     * equally likely. Fewer than half the draws are ever rejected. */
    uint32_t threshold = (uint32_t)(-upper_bound) % upper_bound;
    for (;;) {
        uint32_t value = eni_arc4random();
        if (value >= threshold) return value % upper_bound;
    }
}

__attribute__((visibility("hidden"), alias("eni_arc4random"))) uint32_t arc4random(void);
__attribute__((visibility("hidden"), alias("eni_arc4random_buf"))) void arc4random_buf(void *buf, size_t n);
__attribute__((visibility("hidden"), alias("eni_arc4random_uniform"))) uint32_t arc4random_uniform(uint32_t upper_bound);
