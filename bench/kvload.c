/*
 * bench/kvload.c — load generator for apps/kvstore: drives get/set/del
 * with WINDOW requests in flight, checks every reply against a model of
 * what the store must hold, and reports requests per second.
 *
 *   kvload (--udp HOST:PORT | --frames LPORT:RPORT:GUESTIP:PORT)
 *          [-d SECONDS | -n REQUESTS] [-w WINDOW] [-k KEYS] [-s VALUE_BYTES]
 *          [--wait MS] [--progress FILE] [-c REQUEST]
 *
 * Each in-flight slot owns its keys (a per-run prefix, so earlier runs do
 * not matter) and sends its next request only after the previous reply, so
 * the model per key is exact. A request without a reply is resent after
 * 200 ms (a resent del may then read "missing"); one unanswered after 50
 * tries is lost. --progress rewrites FILE every 200 ms with "done N wrong W
 * lost L" (a guest's socket netdev has room for one peer, so tests watch
 * the load instead of asking on the side). -c sends one request and
 * prints the reply. SIGINT/SIGTERM
 * end the run early with a report. Exit 0 only if every reply was right
 * and none was lost.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kvload.h"

#define MAX_WINDOW 256
#define MAX_KEYS 64
#define RESEND_MS 200
#define MAX_TRIES 50

struct slot {
	uint64_t seq, rng;
	int op, key, tries;   /* op: 0 get, 1 set, 2 del */
	long sent_ms;
	char *val[MAX_KEYS];  /* the model: NULL = absent */
	char next[600];       /* value being set */
	char req[800];
	size_t rlen;
};

static volatile sig_atomic_t stop;
static void on_stop(int sig) { (void)sig; stop = 1; }

static long ms_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
	return *s;
}

static unsigned prefix;
static int nkeys = 16, vbytes = 16;

static void make_request(struct slot *s, int i)
{
	uint64_t r = rnd(&s->rng);
	s->op = r % 10 < 5 ? 0 : r % 10 < 9 ? 1 : 2;
	s->key = (int)((r >> 8) % (uint64_t)nkeys);
	s->seq++;
	s->tries = 0;
	int n = snprintf(s->req, sizeof s->req, "%d.%llu %s p%xs%dk%d", i,
			 (unsigned long long)s->seq, s->op == 0 ? "get" : s->op == 1 ? "set" : "del",
			 prefix, i, s->key);
	if (s->op == 1) {
		int m = snprintf(s->next, sizeof s->next, "v%llu-%d", (unsigned long long)s->seq, i);
		while (m < vbytes && m < (int)sizeof s->next - 1)
			s->next[m] = (char)('a' + m % 26), m++;
		s->next[m] = '\0';
		n += snprintf(s->req + n, sizeof s->req - (size_t)n, " %s", s->next);
	}
	s->rlen = (size_t)n;
}

/* Check a reply's text (after "ID ") against the model and update it.
 * Returns 0 if right. */
static int check(struct slot *s, const char *text)
{
	char **v = &s->val[s->key];
	if (s->op == 1) {
		if (strcmp(text, "ok"))
			return -1;
		free(*v);
		*v = strdup(s->next);
		return 0;
	}
	if (s->op == 2) {
		int ok = *v ? !strcmp(text, "ok") || (s->tries > 1 && !strcmp(text, "missing"))
			    : !strcmp(text, "missing");
		free(*v);
		*v = NULL;
		return ok ? 0 : -1;
	}
	if (!*v)
		return strcmp(text, "missing") ? -1 : 0;
	return strncmp(text, "ok ", 3) || strcmp(text + 3, *v) ? -1 : 0;
}

static void progress(const char *path, long done, long wrong, long lost)
{
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "done %ld wrong %ld lost %ld\n", done, wrong, lost);
	if (fclose(f) == 0)
		rename(tmp, path);
}

static void usage(void)
{
	fprintf(stderr, "usage: kvload (--udp HOST:PORT | --frames LPORT:RPORT:GUESTIP:PORT)\n"
			"              [-d SECONDS | -n REQUESTS] [-w WINDOW] [-k KEYS] [-s BYTES]\n"
			"              [--wait MS] [--progress FILE] [-c REQUEST]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *udp = NULL, *frames = NULL, *one = NULL, *prog_path = NULL;
	double seconds = 0;
	long total = 0, wait_ms = 30000;
	int window = 16;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			usage();
		i++;
		if (!strcmp(a, "--udp")) udp = v;
		else if (!strcmp(a, "--frames")) frames = v;
		else if (!strcmp(a, "-c")) one = v;
		else if (!strcmp(a, "-d")) seconds = atof(v);
		else if (!strcmp(a, "-n")) total = atol(v);
		else if (!strcmp(a, "-w")) window = atoi(v);
		else if (!strcmp(a, "-k")) nkeys = atoi(v);
		else if (!strcmp(a, "-s")) vbytes = atoi(v);
		else if (!strcmp(a, "--wait")) wait_ms = atol(v);
		else if (!strcmp(a, "--progress")) prog_path = v;
		else usage();
	}
	if (!udp == !frames || window < 1 || window > MAX_WINDOW || nkeys < 1 ||
	    nkeys > MAX_KEYS || vbytes < 1 || vbytes > 256 || (!one && seconds <= 0 && total <= 0))
		usage();
	struct kvnet net;
	if (udp ? kvnet_udp(&net, udp) : kvnet_frames(&net, frames, (int)wait_ms)) {
		fprintf(stderr, "kvload: cannot reach the store at %s\n", udp ? udp : frames);
		return 1;
	}
	char buf[2048];
	if (one) {
		for (int t = 0; t < 10; t++) {
			kvnet_send(&net, one, strlen(one));
			ssize_t r = kvnet_recv(&net, buf, sizeof buf - 1, 300);
			if (r > 0) {
				printf("%.*s\n", (int)r, buf);
				return 0;
			}
		}
		fprintf(stderr, "kvload: no reply to '%s'\n", one);
		return 1;
	}
	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	prefix = (unsigned)getpid() ^ (unsigned)time(NULL) << 12;
	static struct slot slots[MAX_WINDOW];
	long start = ms_now(), done = 0, wrong = 0, lost = 0, resent = 0, stale = 0;
	long last_progress = 0;
	int active = window;
	for (int i = 0; i < window; i++) {
		slots[i].rng = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1) + prefix;
		make_request(&slots[i], i);
		slots[i].sent_ms = start;
		slots[i].tries = 1;
		kvnet_send(&net, slots[i].req, slots[i].rlen);
	}
	while (active > 0) {
		long now = ms_now();
		int finishing = stop || (seconds > 0 && now - start >= (long)(seconds * 1000)) ||
				(total > 0 && done + active > total);
		ssize_t r = kvnet_recv(&net, buf, sizeof buf - 1, 20);
		now = ms_now();
		if (prog_path && now - last_progress >= 200) {
			progress(prog_path, done, wrong, lost);
			last_progress = now;
		}
		if (r < 0)
			break;
		if (r > 0) {
			buf[r] = '\0';
			int i;
			unsigned long long seq;
			int off = 0;
			if (sscanf(buf, "%d.%llu %n", &i, &seq, &off) < 2 || !off || i < 0 ||
			    i >= window) {
				fprintf(stderr, "kvload: unexpected reply '%s'\n", buf);
				wrong++;
				continue;
			}
			struct slot *s = &slots[i];
			if (seq != s->seq || s->tries == 0) {
				stale++; /* the answer to a resent request, already counted */
				continue;
			}
			if (check(s, buf + off)) {
				if (wrong++ < 5)
					fprintf(stderr, "kvload: wrong reply '%s' to '%s'\n", buf, s->req);
			}
			done++;
			if (finishing) {
				s->tries = 0; /* retired */
				active--;
				continue;
			}
			make_request(s, i);
			s->tries = 1;
			s->sent_ms = now;
			kvnet_send(&net, s->req, s->rlen);
			continue;
		}
		for (int i = 0; i < window; i++) {
			struct slot *s = &slots[i];
			if (!s->tries || now - s->sent_ms < RESEND_MS)
				continue;
			if (s->tries >= MAX_TRIES) {
				if (lost++ < 5)
					fprintf(stderr, "kvload: no reply to '%s'\n", s->req);
				s->tries = 0;
				active--;
				continue;
			}
			s->tries++;
			s->sent_ms = now;
			resent++;
			kvnet_send(&net, s->req, s->rlen);
		}
	}
	if (prog_path)
		progress(prog_path, done, wrong, lost);
	double secs = (double)(ms_now() - start) / 1000.0;
	printf("kvload: %ld requests in %.2f s = %.0f req/s; checked every reply: %ld wrong, "
	       "%ld lost, %ld resent, %ld late duplicates\n",
	       done, secs, secs > 0 ? (double)done / secs : 0.0, wrong, lost, resent, stale);
	return wrong || lost || !done ? 1 : 0;
}
