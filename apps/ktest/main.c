/* apps/ktest/main.c — dispatch to one test (see ktest.h). */
#include <stdio.h>
#include <string.h>

#include "graft/platform.h"
#include "ktest.h"

const char *kt_name = "?";
int kt_failures;

int kt_done(void)
{
	if (kt_failures)
		printf("FAILURE %s: %d check(s) failed\n", kt_name, kt_failures);
	else
		printf("SUCCESS %s\n", kt_name);
	fflush(stdout);
	return kt_failures ? 1 : 0;
}

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *help;
} tests[] = {
	{ "argv", t_argv, "N ARGS...: N arguments follow, printed one per line" },
	{ "fault", t_fault, "null|guard|exec|ro: take a fault on purpose" },
	{ "exit", t_exit, "N: exit with status N" },
	{ "syscall", t_syscall, "an unknown system call gives ENOSYS" },
	{ "sym", t_sym, "symbol lookup by name and address" },
	{ "signal", t_signal, "a SIGHUP handler runs on gp_raise" },
	{ "threads", t_threads, "N: N threads create/yield/join, wait queues" },
	{ "sleep", t_sleep, "MS: sleep MS milliseconds (host times it)" },
	{ "timer", t_timer, "sleeps of 1..100 ms within 10%" },
	{ "heap", t_heap, "random malloc/realloc/free with content checks" },
	{ "libc", t_libc, "printf, qsort, strtod, fopen/fgets, readdir" },
	{ "files", t_files, "DIR [HOSTFILE]: create/write/read/readdir under DIR" },
	{ "mem", t_mem, "print memory in use" },
	{ "udp", t_udp, "server PORT N | client IP PORT N: exchange N datagrams" },
	{ "pkey", t_pkey, "[write]: protection keys deny a write, allow reads" },
	{ "sock", t_sock, "server PORT [N] | client IP PORT [N]: BSD UDP sockets" },
	{ "ping", t_ping, "OUR_IP PEER_IP [N]: ARP + ICMP echo over raw frames" },
	{ "efault", t_efault, "bad pointers to system calls give EFAULT" },
	{ "random", t_random, "getrandom: fresh values, flags, bad buffer" },
	{ "tls", t_tls, "_Thread_local and errno are per thread" },
	{ "console", t_console, "echo lines on the console channel until 'quit'" },
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		printf("usage: ktest TEST [ARGS]\n");
		for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
			printf("  %-8s %s\n", tests[i].name, tests[i].help);
		return 2;
	}
	for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
		if (!strcmp(argv[1], tests[i].name)) {
			kt_name = tests[i].name;
			return tests[i].fn(argc - 1, argv + 1);
		}
	printf("ktest: unknown test '%s'\n", argv[1]);
	return 2;
}
