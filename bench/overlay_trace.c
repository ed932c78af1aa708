/*
 * Overlay benchmarks without sockets, on the Linux platform: the cost per
 * call of a traced function against the same call untraced, through the
 * real patched entry (lib/overlay/entry.c: the function is built with a
 * patchable entry, bpf_attach rewrites it to call a trampoline): a
 * verified counter (JIT, unchecked), the same counter forced checked
 * (interpreter and JIT), and a no-op program; bpf_attach + bpf_detach
 * latency; bpf_exec of a small program; native program load, uncached
 * (into the pages of an unloaded image, and into fresh pages) and cached. Objects are read from $BUILD once and served from memory,
 * so file I/O is not measured. Per-call figures: medians of 41 short runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "graft/ebpf.h"
#include "graft/overlay.h"

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static uint64_t h_now(void *ud)
{
	(void)ud;
	return now_ns();
}

static void *h_alloc(void *ud, size_t n)
{
	(void)ud;
	return aligned_alloc(16, (n + 15) & ~(size_t)15);
}

static void h_free(void *ud, void *p)
{
	(void)ud;
	free(p);
}

/* In-memory files. */
static struct {
	const char *name;
	char *data;
	size_t len;
} files[8];

static void preload(const char *dir, const char *name, int i)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "rb");
	if (!f) {
		fprintf(stderr, "overlay_trace: %s missing\n", p);
		exit(1);
	}
	files[i].name = name;
	files[i].data = malloc(1 << 16);
	files[i].len = fread(files[i].data, 1, 1 << 16, f);
	fclose(f);
}

static enum graft_status h_read(void *ud, const char *path,
				const struct graft_alloc *a, void **data,
				size_t *len, struct graft_err *err)
{
	(void)ud;
	for (int i = 0; i < 8 && files[i].name; i++) {
		if (strcmp(files[i].name, path))
			continue;
		*data = a->alloc(a->ud, files[i].len);
		memcpy(*data, files[i].data, files[i].len);
		*len = files[i].len;
		return GRAFT_OK;
	}
	return graft_errf(err, GRAFT_ENOENT, "%s: no such file", path);
}

static struct ovl_bpf *bpf;
static struct ovl_entry *entry;

__attribute__((patchable_function_entry(5, 0), noipa)) uint64_t traced(uint64_t key)
{
	return key + 1;
}

static uint64_t h_sym(void *ud, const char *name)
{
	(void)ud;
	return strcmp(name, "traced") ? 0 : (uint64_t)(uintptr_t)traced;
}

static enum graft_status h_hook(void *ud, uint64_t addr, uint32_t s, bool on,
				struct graft_err *err)
{
	(void)ud;
	return ovl_entry_hook(entry, addr, s, on, err);
}

static void *h_pages(void *ud, size_t len)
{
	(void)ud;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static int h_protect(void *ud, void *p, size_t len, unsigned prot)
{
	(void)ud;
	return mprotect(p, len, (prot & OVL_PROT_R ? PROT_READ : 0) |
				(prot & OVL_PROT_W ? PROT_WRITE : 0) |
				(prot & OVL_PROT_X ? PROT_EXEC : 0));
}

static void h_pages_free(void *ud, void *p, size_t len)
{
	(void)ud;
	munmap(p, len);
}

/* For the link-only row: heap pages, no protection changes (no syscalls). */
static void *h_heap_pages(void *ud, size_t len)
{
	(void)ud;
	void *p = aligned_alloc(4096, len);
	if (p)
		memset(p, 0, len);
	return p;
}

static int h_no_protect(void *ud, void *p, size_t len, unsigned prot)
{
	(void)ud, (void)p, (void)len, (void)prot;
	return 0;
}

static void h_heap_free(void *ud, void *p, size_t len)
{
	(void)ud, (void)len;
	free(p);
}

/* ---- a console without a socket ---------------------------------------- */

static char reply[1 << 16];
static size_t reply_len;

static int w(void *ud, const void *p, size_t n)
{
	(void)ud;
	if (reply_len + n < sizeof reply) {
		memcpy(reply + reply_len, p, n);
		reply_len += n;
	}
	return 0;
}

static long r(void *ud, void *p, size_t n)
{
	(void)ud, (void)p, (void)n;
	return 0;
}

static struct ovl_services svc;

static const char *say(const char *line)
{
	static struct ovl_session s;
	struct ovl_chan c = { NULL, r, w };
	reply_len = 0;
	ovl_session_init(&s, &c, &svc);
	ovl_session_feed(&s, line, strlen(line));
	reply[reply_len] = 0;
	return reply;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t t[2001];

static double median_of(const char *line, int n)
{
	for (int i = 0; i < n; i++) {
		uint64_t t0 = now_ns();
		say(line);
		t[i] = now_ns() - t0;
	}
	qsort(t, (size_t)n, sizeof t[0], cmp);
	return (double)t[n / 2];
}

/*
 * Median over 41 short runs (50,000 calls each) of the mean cost of one
 * call in a run: short runs are rarely cut by the scheduler on a busy
 * machine, so the median is the undisturbed figure.
 */
#define RUNS 41
static double per_call(int calls)
{
	uint64_t runs[RUNS];
	(void)calls;
	for (int rep = 0; rep < RUNS; rep++) {
		uint64_t t0 = now_ns();
		uint64_t acc = 0;
		for (int i = 0; i < 50000; i++)
			acc += traced((uint64_t)i & 7);
		runs[rep] = (now_ns() - t0) * 1000 / 50000 + !acc;
	}
	qsort(runs, RUNS, sizeof runs[0], cmp);
	return (double)runs[RUNS / 2] / 1000;
}

static void row(const char *what, double ns, double base, const char *note)
{
	printf("%-48s %8.1f ns  (+%.1f ns)%s\n", what, ns, ns - base, note);
}

/* One traced-call figure: attach PROG, time, detach. */
static double traced_cost(const char *prog, int calls, const char **mode)
{
	char line[128];
	snprintf(line, sizeof line, "bpf_attach traced %s\n", prog);
	const char *a = say(line);
	if (strncmp(a, "ok", 2)) {
		printf("traced call (%s): %s", prog, a);
		return -1;
	}
	const char *l = say("bpf_list\n");
	*mode = strstr(l, "verified, JIT unchecked") ? "verified, JIT unchecked" :
		strstr(l, "checked, JIT") ? "checked, JIT" : "checked, interpreter";
	double ns = per_call(calls);
	say("bpf_detach traced\n");
	return ns;
}

static void trace_rows(unsigned flags, bool no_verify)
{
	struct ovl_bpf_opts o = {
		.host = { NULL, h_read, h_now, h_sym, h_hook },
		.alloc = { h_alloc, h_free, NULL },
		.prog_flags = flags,
		.no_verify = no_verify,
	};
	struct graft_err err;
	if (ovl_entry_create(&entry, &o.alloc, &err) ||
	    ovl_bpf_create(&bpf, &o, &err)) {
		printf("trace: %s\n", err.msg);
		return;
	}
	ovl_entry_bind(entry, bpf);
	ovl_bpf_services(bpf, &svc);
	double base = per_call(2000000);
	const char *mode = "";
	char what[96];
	double c = traced_cost("entry.o fast_count", 1000000, &mode);
	if (c >= 0) {
		snprintf(what, sizeof what, "traced call, hash counter (%s)", mode);
		if (!no_verify)
			printf("%-48s %8.1f ns\n", "untraced call (patchable entry, 5 NOPs)", base);
		row(what, c, base, !no_verify ? "  target < 30 ns with the JIT" : "");
	}
	c = traced_cost("entry.o fast_tally", 1000000, &mode);
	if (c >= 0) {
		snprintf(what, sizeof what, "traced call, array counter (%s)", mode);
		row(what, c, base, "");
	}
	if (!no_verify) {
		c = traced_cost("entry.o fast_nop", 1000000, &mode);
		if (c >= 0) {
			snprintf(what, sizeof what, "traced call, no-op (%s)", mode);
			row(what, c, base, "");
		}
	}
	ovl_bpf_free(bpf);
	ovl_entry_free(entry);
	bpf = NULL;
	entry = NULL;
}

int main(void)
{
	const char *b = getenv("BUILD");
	char dir[300];
	snprintf(dir, sizeof dir, "%s/overlay_bpf", b && *b ? b : "build");
	preload(dir, "exec.o", 0);
	preload(dir, "entry.o", 2);
	snprintf(dir, sizeof dir, "%s/overlay_native", b && *b ? b : "build");
	preload(dir, "hello.o", 1);

	trace_rows(0, false);
	trace_rows(0, true);
	trace_rows(EBPF_F_JIT, true);

	struct ovl_bpf_opts o = {
		.host = { NULL, h_read, h_now, h_sym, h_hook },
		.alloc = { h_alloc, h_free, NULL },
	};
	struct graft_err err;
	if (ovl_entry_create(&entry, &o.alloc, &err) ||
	    ovl_bpf_create(&bpf, &o, &err))
		return 1;
	ovl_entry_bind(entry, bpf);
	ovl_bpf_services(bpf, &svc);
	say("bpf_exec exec.o sum 1 2 3\n"); /* load once: the cache is warm */
	double exec = median_of("bpf_exec exec.o sum 1 2 3\n", 2000);
	say("bpf_attach traced entry.o fast_count\nbpf_detach traced\n");
	double att = median_of("bpf_attach traced entry.o fast_count\nbpf_detach traced\n",
			       2000);
	printf("%-44s %8.2f us\n", "bpf_exec (cached object, 7 insns)", exec / 1e3);
	printf("%-44s %8.2f us\n", "bpf_attach + bpf_detach (cached, 2 patches)",
	       att / 1e3);
	ovl_bpf_free(bpf);
	ovl_entry_free(entry);

	struct ovl_native_host nh = {
		.read_file = h_read, .now_ns = h_now, .pages_alloc = h_pages,
		.pages_protect = h_protect, .pages_free = h_pages_free,
	};
	struct graft_alloc a = { h_alloc, h_free, NULL };
	struct ovl_native *nat;
	if (ovl_native_create(&nat, &nh, &a, &err))
		return 1;
	struct ovl_services nsvc = { 0 };
	ovl_native_services(nat, &nsvc);
	svc = nsvc;
	double cold = median_of("load hello.o\nunload hello\n", 2000);
	say("load hello.o\n");
	/* Fresh pages: a new instance each time (its image is mapped,
	 * faulted in and unmapped), as the first load after start. */
	struct ovl_native *fresh;
	for (int i = 0; i < 301; i++) {
		uint64_t t0 = now_ns();
		if (ovl_native_create(&fresh, &nh, &a, &err))
			return 1;
		struct ovl_services fsvc = { 0 };
		ovl_native_services(fresh, &fsvc);
		svc = fsvc;
		say("load hello.o\n");
		ovl_native_free(fresh);
		t[i] = now_ns() - t0;
	}
	qsort(t, 301, sizeof t[0], cmp);
	double first = (double)t[150];
	svc = nsvc;
	double warm = median_of("load hello.o\n", 2000);
	printf("%-44s %8.2f us  target < 50 us\n",
	       "native load (link, protect) + unload", cold / 1e3);
	printf("%-44s %8.2f us  (map, fault in, unmap)\n",
	       "native load into fresh pages + free", first / 1e3);
	printf("%-44s %8.2f us  target < 10 us (%.0f%% less)\n",
	       "native load, cached", warm / 1e3, 100.0 * (1 - warm / cold));
	ovl_native_free(nat);

	nh.pages_alloc = h_heap_pages;
	nh.pages_protect = h_no_protect;
	nh.pages_free = h_heap_free;
	if (ovl_native_create(&nat, &nh, &a, &err))
		return 1;
	ovl_native_services(nat, &svc);
	double link = median_of("load hello.o\nunload hello\n", 2000);
	printf("%-44s %8.2f us  (the rest above: page protection)\n",
	       "native load + unload, link only", link / 1e3);
	ovl_native_free(nat);
	return 0;
}
