/* apps/ktest/t_threads.c — cooperative threads, wait queues, sleep accuracy. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "graft/platform.h"
#include "ktest.h"

#define YIELDS 5

static int order_errors;
static int step;

struct worker {
	int id, count;
};

static void worker(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < YIELDS; i++) {
		w->count++;
		gp_thread_yield();
	}
}

static struct gp_waitq q = GP_WAITQ_INIT;
static int token;

static void ponger(void *arg)
{
	(void)arg;
	for (int i = 0; i < 100; i++) {
		while (token != 1)
			gp_wait(&q, 0);
		if (step != 2 * i + 1)
			order_errors++;
		step++;
		token = 0;
		gp_wake_all(&q);
	}
}

int t_threads(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000;
	struct gp_thread **ts = calloc((size_t)n, sizeof *ts);
	struct worker *ws = calloc((size_t)n, sizeof *ws);
	KT_CHECK(ts && ws, "calloc");
	if (!ts || !ws)
		return kt_done();
	uint64_t t0 = gp_now_ns();
	int made = 0;
	for (int i = 0; i < n; i++) {
		ws[i].id = i;
		ts[i] = gp_thread_create(worker, &ws[i], 16 * 1024, "worker");
		if (!ts[i])
			break;
		made++;
	}
	KT_CHECK(made == n, "created only %d of %d threads", made, n);
	for (int i = 0; i < made; i++)
		KT_CHECK(gp_thread_join(ts[i]) == 0, "join %d", i);
	for (int i = 0; i < made; i++)
		if (ws[i].count != YIELDS) {
			KT_CHECK(0, "thread %d ran %d times", i, ws[i].count);
			break;
		}
	uint64_t t1 = gp_now_ns();
	printf("%d threads x %d yields: %.1f ms\n", made, YIELDS, (double)(t1 - t0) / 1e6);

	/* Ping-pong through a wait queue: strict alternation. */
	struct gp_thread *p = gp_thread_create(ponger, NULL, 0, "ponger");
	KT_CHECK(p != NULL, "create ponger");
	for (int i = 0; i < 100 && p; i++) {
		if (step != 2 * i)
			order_errors++;
		step++;
		token = 1;
		gp_wake_all(&q);
		while (token != 0)
			gp_wait(&q, 0);
	}
	if (p)
		gp_thread_join(p);
	KT_CHECK(order_errors == 0 && step == 200, "ping-pong: %d order errors, step %d", order_errors, step);

	/* A timed wait nobody answers times out, not sooner than asked. */
	struct gp_waitq lonely = GP_WAITQ_INIT;
	uint64_t w0 = gp_now_ns();
	int r = gp_wait(&lonely, w0 + 5000000);
	KT_CHECK(r == -ETIMEDOUT, "timed wait gave %d", r);
	KT_CHECK(gp_now_ns() - w0 >= 5000000, "timed wait returned early");
	KT_CHECK(strcmp(gp_thread_name(gp_thread_self()), "") != 0, "self has a name");
	free(ts);
	free(ws);
	return kt_done();
}

int t_sleep(int argc, char **argv)
{
	int ms = argc > 1 ? atoi(argv[1]) : 100;
	printf("sleep-start\n");
	fflush(stdout);
	uint64_t t0 = gp_now_ns();
	gp_sleep_ns((uint64_t)ms * 1000000ULL);
	uint64_t t1 = gp_now_ns();
	printf("sleep-end\n");
	printf("slept %d ms: guest measured %.2f ms\n", ms, (double)(t1 - t0) / 1e6);
	return kt_done();
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Each length 5 times: no sleep may end early, the best must be within
 * 10% (+0.5 ms), and for 100 ms the median too. A host busy with
 * other work delays single wake-ups by milliseconds; that is not ours. */
int t_timer(int argc, char **argv)
{
	(void)argc, (void)argv;
	static const int ms[] = { 10, 50, 100 };
	for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++) {
		uint64_t want = (uint64_t)ms[i] * 1000000ULL, got[5];
		for (int k = 0; k < 5; k++) {
			uint64_t t0 = gp_now_ns();
			gp_sleep_ns(want);
			got[k] = gp_now_ns() - t0;
			KT_CHECK(got[k] >= want, "sleep %d ms returned early (%.3f ms)", ms[i], (double)got[k] / 1e6);
		}
		qsort(got, 5, sizeof got[0], cmp_u64);
		printf("sleep %3d ms: median %.3f ms (min %.3f, max %.3f)\n", ms[i], (double)got[2] / 1e6,
		       (double)got[0] / 1e6, (double)got[4] / 1e6);
		KT_CHECK(got[0] <= want + want / 10 + 500000, "sleep %d ms: best %.3f ms", ms[i], (double)got[0] / 1e6);
		if (ms[i] >= 100)
			KT_CHECK(got[2] <= want + want / 10 + 500000, "sleep %d ms: median %.3f ms", ms[i], (double)got[2] / 1e6);
	}
	return kt_done();
}
