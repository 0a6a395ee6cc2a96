// SPDX-License-Identifier: Apache-2.0
#ifndef ENI_AGENT_CGLIBCCOMPATPROBES_H
#define ENI_AGENT_CGLIBCCOMPATPROBES_H

#include <stddef.h>

/* Runs eni_arc4random_buf(buf, n) on a thread of its own whose getrandom(2) fails with
 * `denial` (a seccomp filter on that thread only; the filter ends with the thread), so that the
 * /dev/urandom fallback is what fills buf. Returns 0 on success, else an errno saying what could
 * not be set up. *seen is what a direct getrandom call returned on that thread: -denial when the
 * filter was in force. */
int eni_probe_arc4random_buf_without_getrandom(int denial, void *buf, size_t n, long *seen);

#endif
