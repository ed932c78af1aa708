/*
 * platform/linux/internal.h — shared by the Linux platform's files.
 *
 * The process runs cooperative threads (sched.c) on stacks it allocates;
 * when none is runnable it sleeps in poll() on every descriptor a thread
 * waits for (console socket, UDP sockets, frame socket) until the next
 * deadline. Nothing here is thread-safe in the pthread sense: graft
 * applications on this platform are one OS thread.
 */
#ifndef GRAFT_PLATFORM_LINUX_INTERNAL_H
#define GRAFT_PLATFORM_LINUX_INTERNAL_H

#include <stdint.h>

#include "graft/platform.h"

void lp_init(void);                 /* idempotent; every entry point calls it */
uint64_t lp_now(void);              /* CLOCK_MONOTONIC ns since start */
/* Block the calling thread until fd is ready for events (POLLIN/POLLOUT)
 * or the deadline; 0 ready, -ETIMEDOUT. Yields to other threads. */
int lp_wait_fd(int fd, short events, uint64_t deadline);
/* Guard ranges of thread stacks, for the fault report. */
int lp_is_guard(uintptr_t addr);
void lp_faults_init(void);
void lp_console_init(void);
void lp_net_init(void);
const char *lp_sym_name(uintptr_t addr, uintptr_t *off);

#endif
