// SPDX-License-Identifier: Apache-2.0
/* __libc_single_threaded (glibc 2.32) for binaries that must also run on glibc 2.28.
 *
 * glibc keeps it true until the process creates its first thread; libstdc++ reads it to skip
 * atomic instructions (reference counts, one-time initialisation) while it is true. We cannot
 * know when a thread is created, so it is always false: libstdc++ then always takes the atomic
 * path, which is correct in every case and what it did before glibc had the variable. */

#include "CGlibcCompat.h"

__attribute__((visibility("hidden"))) char __libc_single_threaded = 0;

char eni_libc_single_threaded(void) { return __libc_single_threaded; }
