// SPDX-License-Identifier: Apache-2.0
#ifndef ENI_AGENT_CGLIBCCOMPAT_H
#define ENI_AGENT_CGLIBCCOMPAT_H

/* Our own implementations of the few C library symbols that the statically linked Swift runtime
 * and libstdc++ take from glibc newer than 2.28, so that the release binary runs on every
 * target userland (README.md, "Where it runs"). The glibc names (arc4random, arc4random_buf,
 * arc4random_uniform, __libc_single_threaded) are defined with hidden visibility: they satisfy
 * the references inside the binary and are never exported, so glibc's own copies, where they
 * exist, stay glibc's. Swift cannot declare the glibc names a second time beside Glibc's, so the
 * same code is reachable under these names, for the tests. */

#include <stddef.h>
#include <stdint.h>

/* A uniformly distributed 32-bit value from the kernel's random source. */
uint32_t eni_arc4random(void);

/* Fills buf with n random bytes: getrandom(2), or /dev/urandom where the kernel or a sandbox
 * refuses that system call (ENOSYS, EPERM). Aborts with a message if neither gives bytes, as
 * glibc's does: there is no way to report the failure. */
void eni_arc4random_buf(void *buf, size_t n);

/* A uniformly distributed value below upper_bound (0 when upper_bound < 2), without modulo bias. */
uint32_t eni_arc4random_uniform(uint32_t upper_bound);

/* The value libstdc++ reads from __libc_single_threaded. */
char eni_libc_single_threaded(void);

#endif
