/*
 * apps/compute — a small compute application with one hot function, for
 * tracing a tight loop: it walks Collatz sequences for 1, 2, 3, ... and
 * keeps the longest found, calling collatz_steps() once per number.
 *
 *   compute [-n NUMBERS] [-t SECONDS]
 *
 * Stops after NUMBERS numbers or SECONDS (default: 2,000,000 numbers),
 * yielding now and then so the overlay console (started when the run has a
 * channel) can serve. Prints the longest sequence and a checksum, which
 * depend only on NUMBERS: a traced run must print the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graft/overlay.h"
#include "graft/platform.h"

/* Read by symbol from the overlay (bpf_exec, native programs). */
volatile uint64_t compute_done, compute_best, compute_best_at;

/* The hot function: steps of the Collatz sequence from n down to 1. */
__attribute__((noinline)) uint32_t collatz_steps(uint64_t n)
{
	uint32_t steps = 0;
	while (n != 1) {
		n = n & 1 ? 3 * n + 1 : n / 2;
		steps++;
	}
	return steps;
}

static void *xalloc(void *ud, size_t n) { (void)ud; return malloc(n); }
static void xfree(void *ud, void *p) { (void)ud; free(p); }

int main(int argc, char **argv)
{
	uint64_t numbers = 2000000, seconds = 0;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "-n"))
			numbers = strtoull(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "-t"))
			seconds = strtoull(argv[i + 1], NULL, 10);
	}
	if (argc % 2 == 0 || !numbers) {
		fprintf(stderr, "usage: compute [-n NUMBERS] [-t SECONDS]\n");
		return 2;
	}
	struct ovl_console *con = NULL;
	struct ovl_console_opts co = { { xalloc, xfree, NULL }, 0 };
	struct graft_err err = { 0 };
	int have_console = ovl_console_start(&con, &co, &err) == GRAFT_OK;
	printf("compute: %llu numbers on %s, overlay console %s\n",
	       (unsigned long long)numbers, gp_name(), have_console ? "on" : "off");
	fflush(stdout);
	uint64_t t0 = gp_now_ns(), sum = 0;
	for (uint64_t n = 1; n <= numbers; n++) {
		uint32_t s = collatz_steps(n);
		sum = sum * 31 + s;
		if (s > compute_best)
			compute_best = s, compute_best_at = n;
		compute_done = n;
		if ((n & 4095) == 0) {
			gp_thread_yield();
			if (seconds && gp_now_ns() - t0 >= seconds * 1000000000ull)
				break;
		}
	}
	uint64_t ns = gp_now_ns() - t0;
	printf("compute: %llu numbers in %llu ms, longest %llu steps at %llu, checksum %016llx\n",
	       (unsigned long long)compute_done, (unsigned long long)(ns / 1000000),
	       (unsigned long long)compute_best, (unsigned long long)compute_best_at,
	       (unsigned long long)sum);
	ovl_console_stop(con);
	return 0;
}
