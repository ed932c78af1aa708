/*
 * apps/ovltest — an application for the overlay's end-to-end tests: it
 * starts the overlay console beside itself and keeps calling a traceable
 * function (built with -fpatchable-function-entry=5,0, see mk/ovltest.mk),
 * checking every result, while the host attaches, detaches and runs
 * programs through the console. SIGUSR1 ends it: it prints SUCCESS when
 * every call returned the right value, and how many calls it made.
 *
 *   ovltest [SECONDS]   run at most SECONDS (default 60)
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graft/overlay.h"
#include "graft/platform.h"

/* Read by native programs and bpf_exec by symbol (tests/overlay_native). */
volatile uint64_t ovt_calls;
long app_counter = 21;

long app_double(long v)
{
	return 2 * v;
}

volatile uint64_t ovt_counter = 4242;
static volatile int stop;

static void on_usr1(int sig)
{
	(void)sig;
	stop = 1;
}

/* The traced function: six arguments, a result the caller checks. */
__attribute__((noinline)) uint64_t ovt_work(uint64_t a, uint64_t b, uint64_t c,
					   uint64_t d, uint64_t e, uint64_t f)
{
	return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f;
}

static void *heap_alloc(void *ud, size_t n)
{
	(void)ud;
	return malloc(n ? n : 1);
}

static void heap_free(void *ud, void *p)
{
	(void)ud;
	free(p);
}

int main(int argc, char **argv)
{
	uint64_t secs = argc > 1 ? strtoull(argv[1], NULL, 0) : 60;
	signal(SIGUSR1, on_usr1);
	struct ovl_console_opts o = { .alloc = { heap_alloc, heap_free, NULL } };
	struct ovl_console *c;
	struct graft_err err;
	if (ovl_console_start(&c, &o, &err)) {
		printf("FAILURE ovltest: %s\n", err.msg);
		return 1;
	}
	printf("ovltest: overlay up\n");
	fflush(stdout);
	uint64_t bad = 0, end = gp_now_ns() + secs * 1000000000ull;
	while (!stop && gp_now_ns() < end) {
		for (uint64_t i = 0; i < 100; i++) {
			uint64_t k = ovt_calls++;
			if (ovt_work(k, 1, 2, 3, 4, 5) != k + 70)
				bad++;
		}
		gp_sleep_ns(1000000);
	}
	ovl_console_stop(c);
	printf("ovltest: app_counter %ld\n", app_counter);
	if (bad || !stop)
		printf("FAILURE ovltest: %llu wrong results, %s\n",
		       (unsigned long long)bad, stop ? "stopped" : "timed out");
	else
		printf("SUCCESS ovltest: %llu calls, all right\n",
		       (unsigned long long)ovt_calls);
	fflush(stdout);
	return bad || !stop;
}
