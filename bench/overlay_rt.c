/*
 * Overlay console benchmarks on the Linux platform: the round trip of a
 * no-op command (`echo`) through a unix socket and lib/overlay, against the
 * anchor of a bare unix-socket ping-pong between the same two threads; the
 * round trip of `help` (a 1.6 KB reply); and `cat` throughput of a 4 MB
 * file. Prints one row per measurement: median and 99th percentile.
 *
 * `overlay_rt one-cpu` first pins the process (and so every thread it
 * starts) to the CPU it runs on: a round trip then costs two context
 * switches instead of two cross-CPU wake-ups, which on a virtual machine
 * with idle vCPUs take tens of microseconds each (the bare-socket anchor
 * shows which regime a run is in).
 */
#include <sched.h>
#include <stdlib.h>
#include <time.h>

#include "overlay_server.h"

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Read until the reply's status line (a line starting "ok" or "error:"). */
static int read_reply(int fd, char *buf, size_t cap, size_t *total)
{
	size_t n = 0, start = 0;
	*total = 0;
	for (;;) {
		ssize_t k = recv(fd, buf + n, cap - n, 0);
		if (k <= 0)
			return -1;
		*total += (size_t)k;
		for (size_t i = n; i < n + (size_t)k; i++) {
			if (buf[i] != '\n')
				continue;
			if (!strncmp(buf + start, "ok", 2) ||
			    !strncmp(buf + start, "error:", 6))
				return 0;
			start = i + 1;
		}
		n += (size_t)k;
		if (n > cap / 2) { /* keep the unfinished line only */
			memmove(buf, buf + start, n - start);
			n -= start;
			start = 0;
		}
	}
}

#define N 20000

static uint64_t samples[N];

/* ", one CPU" when pinned (one-cpu), for the row labels */
static const char *where = "";

static void report(const char *what, int n, const char *target)
{
	char label[96];
	snprintf(label, sizeof label, "%s%s", what, where);
	qsort(samples, (size_t)n, sizeof samples[0], cmp_u64);
	printf("%-52s median %7.2f us  p99 %7.2f us  %s\n", label,
	       samples[n / 2] / 1e3, samples[n * 99 / 100] / 1e3, target);
}

static void *echo_peer(void *arg)
{
	int fd = *(int *)arg;
	char b[64];
	ssize_t k;
	while ((k = recv(fd, b, sizeof b, 0)) > 0)
		if (send(fd, "ok\n", 3, MSG_NOSIGNAL) != 3)
			break;
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "one-cpu")) {
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(sched_getcpu(), &one);
		if (sched_setaffinity(0, sizeof one, &one)) {
			perror("overlay_rt: sched_setaffinity");
			return 1;
		}
		where = ", one CPU";
	}
	char top[] = "/tmp/graft-ovl-bench-XXXXXX";
	if (!mkdtemp(top))
		return 1;
	char dir[64], sock[64], file[80];
	snprintf(dir, sizeof dir, "%s/app", top);
	snprintf(sock, sizeof sock, "%s/sock", top);
	snprintf(file, sizeof file, "%s/big", dir);
	mkdir(dir, 0700);
	FILE *f = fopen(file, "w");
	for (int i = 0; f && i < 65536; i++)
		fprintf(f, "%063d\n", i);
	if (f)
		fclose(f);

	static struct tapp app;
	static struct tsrv srv;
	if (tapp_start(&app, dir) || tsrv_start(&srv, &app, sock, false, 0))
		return 1;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa))
		return 1;
	static char buf[1 << 16];
	size_t got;

	/* Anchor: the same socket round trip with a peer that does nothing. */
	int pair[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
	pthread_t peer;
	pthread_create(&peer, NULL, echo_peer, &pair[1]);
	for (int i = 0; i < N; i++) {
		uint64_t t = now_ns();
		send(pair[0], "echo\n", 5, 0);
		read_reply(pair[0], buf, sizeof buf, &got);
		samples[i] = now_ns() - t;
	}
	report("anchor: bare unix-socket ping-pong", N, "");
	double anchor = (double)samples[N / 2];
	close(pair[0]);
	pthread_join(peer, NULL);
	close(pair[1]);

	for (int i = 0; i < N; i++) {
		uint64_t t = now_ns();
		send(fd, "echo\n", 5, 0);
		if (read_reply(fd, buf, sizeof buf, &got))
			return 1;
		samples[i] = now_ns() - t;
	}
	report("console round trip, no-op (echo)", N, "target < 20 us");
	uint64_t med = samples[N / 2];
	printf("%-52s %.2fx the bare socket; %s\n", "", med / anchor,
	       med < 20000 ? "meets target" : "MISSES target");

	for (int i = 0; i < 2000; i++) {
		uint64_t t = now_ns();
		send(fd, "help\n", 5, 0);
		read_reply(fd, buf, sizeof buf, &got);
		samples[i] = now_ns() - t;
	}
	report("console round trip, help (1.6 KB reply)", 2000, "");

	for (int i = 0; i < 20; i++) {
		uint64_t t = now_ns();
		send(fd, "cat big\n", 8, 0);
		read_reply(fd, buf, sizeof buf, &got);
		samples[i] = now_ns() - t;
	}
	qsort(samples, 20, sizeof samples[0], cmp_u64);
	printf("%-52s median %7.2f ms  %.0f MB/s\n", "cat of a 4 MB file",
	       samples[10] / 1e6, got / (samples[10] / 1e3));
	close(fd);
	tapp_stop(&app);
	tsrv_stop(&srv);
	unlink(file);
	rmdir(dir);
	rmdir(top);
	return 0;
}
