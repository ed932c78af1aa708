/* apps/ktest/t_tls.c — each thread has its own errno and, on the
 * unikernel, its own _Thread_local variables: initialized from the image
 * (.tdata) or zero (.tbss), untouched by other threads across yields.
 * On Linux the threads are fibers of one process thread, which share
 * _Thread_local variables (include/graft/platform.h says so). */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "graft/platform.h"
#include "ktest.h"

#define NT 8

static _Thread_local int tl_value = 7;
static _Thread_local char tl_name[48];
static _Thread_local uint64_t tl_big[64] __attribute__((aligned(64)));
static uintptr_t addr_of[NT + 1];
static int per_thread_tls;
static int errors;

static void check_own(int id)
{
	if (errno != 1000 + id)
		errors++, printf("FAILURE tls: thread %d sees errno %d\n", id, errno);
	if (!per_thread_tls)
		return;
	if (tl_value != 100 * id || tl_name[0] != 'T' || tl_name[1] != (char)('0' + id) ||
	    tl_big[63] != (uint64_t)id)
		errors++, printf("FAILURE tls: thread %d sees value %d name '%s' big %llu\n", id, tl_value,
				 tl_name, (unsigned long long)tl_big[63]);
}

static void worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	if (per_thread_tls && (tl_value != 7 || tl_name[0] || tl_big[63] || ((uintptr_t)tl_big & 63)))
		errors++, printf("FAILURE tls: thread %d starts with value %d name '%s'\n", id, tl_value, tl_name);
	errno = 1000 + id;
	tl_value = 100 * id;
	tl_name[0] = 'T';
	tl_name[1] = (char)('0' + id);
	tl_big[63] = (uint64_t)id;
	addr_of[id] = (uintptr_t)&tl_value;
	for (int i = 0; i < 5; i++) {
		gp_thread_yield();
		check_own(id);
		if (i == 2)
			gp_sleep_ns(1000000);
	}
}

int t_tls(int argc, char **argv)
{
	(void)argc, (void)argv;
	per_thread_tls = !strcmp(gp_name(), "kernel");
	errno = 1000;
	tl_value = 0;
	strcpy(tl_name, "T0");
	tl_big[63] = 0;
	addr_of[0] = (uintptr_t)&tl_value;
	struct gp_thread *t[NT];
	for (int i = 1; i <= NT; i++)
		t[i - 1] = gp_thread_create(worker, (void *)(intptr_t)i, 0, "tls");
	for (int i = 0; i < NT; i++) {
		gp_thread_yield();
		check_own(0);
	}
	for (int i = 0; i < NT; i++)
		KT_CHECK(t[i] && gp_thread_join(t[i]) == 0, "join %d", i);
	check_own(0);
	KT_CHECK(errors == 0, "%d per-thread values were disturbed", errors);
	if (per_thread_tls) {
		int distinct = 1;
		for (int i = 0; i <= NT; i++)
			for (int j = 0; j < i; j++)
				distinct &= addr_of[i] != addr_of[j];
		KT_CHECK(distinct, "threads share a _Thread_local address");
		printf("%d threads: own errno, own _Thread_local (.tdata, .tbss, 64-byte aligned)\n", NT + 1);
	} else {
		printf("%d threads: own errno (fibers share _Thread_local on %s)\n", NT + 1, gp_name());
	}
	return kt_done();
}
