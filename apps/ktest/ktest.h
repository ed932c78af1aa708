/* apps/ktest — the in-guest test suite; `ktest NAME ARGS` runs one test,
 * which prints "SUCCESS NAME" or "FAILURE NAME: why" and exits 0 or 1.
 * The same source builds for the unikernel and the Linux platform. */
#ifndef KTEST_H
#define KTEST_H

#include <stdio.h>

extern const char *kt_name;
extern int kt_failures;

#define KT_CHECK(c, ...) do { if (!(c)) { kt_failures++; printf("FAILURE %s: ", kt_name); \
	printf(__VA_ARGS__); printf(" (%s:%d)\n", __FILE__, __LINE__); } } while (0)

int kt_done(void);

int t_argv(int argc, char **argv);
int t_fault(int argc, char **argv);
int t_exit(int argc, char **argv);
int t_syscall(int argc, char **argv);
int t_sym(int argc, char **argv);
int t_signal(int argc, char **argv);
int t_threads(int argc, char **argv);
int t_sleep(int argc, char **argv);
int t_timer(int argc, char **argv);
int t_heap(int argc, char **argv);
int t_libc(int argc, char **argv);
int t_files(int argc, char **argv);
int t_mem(int argc, char **argv);
int t_udp(int argc, char **argv);
int t_console(int argc, char **argv);
int t_ping(int argc, char **argv);
int t_pkey(int argc, char **argv);
int t_sock(int argc, char **argv);
int t_efault(int argc, char **argv);
int t_random(int argc, char **argv);
int t_tls(int argc, char **argv);

#endif
