// SPDX-License-Identifier: Apache-2.0
/* A thread whose getrandom(2) fails, for the tests of CGlibcCompat's fallback. A seccomp filter
 * applies to the thread that installs it (and its future children), not to the other threads of
 * the test process, and needs no privilege once no_new_privs is set on that thread. */

#include "CGlibcCompatProbes.h"
#include "CGlibcCompat.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

struct probe {
    int denial;
    void *buf;
    size_t n;
    long seen;
    int error;
};

static void *probe_thread(void *argument) {
    struct probe *p = argument;
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getrandom, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((unsigned)p->denial & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog program = {.len = sizeof filter / sizeof filter[0], .filter = filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
        p->error = errno;
        return NULL;
    }
    unsigned char byte;
    p->seen = syscall(SYS_getrandom, &byte, 1, 0) < 0 ? -errno : 0;
    eni_arc4random_buf(p->buf, p->n);
    return NULL;
}

int eni_probe_arc4random_buf_without_getrandom(int denial, void *buf, size_t n, long *seen) {
    struct probe p = {.denial = denial, .buf = buf, .n = n, .seen = 0, .error = 0};
    pthread_t thread;
    int error = pthread_create(&thread, NULL, probe_thread, &p);
    if (error != 0) return error;
    error = pthread_join(thread, NULL);
    if (error != 0) return error;
    *seen = p.seen;
    return p.error;
}
