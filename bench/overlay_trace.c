/*
 * Overlay benchmarks without sockets, on the Linux platform: the cost per
 * call of a traced function (a counter program attached, interpreter and
 * JIT) against the same call untraced; bpf_attach + bpf_detach latency;
 * bpf_exec of a small program; native program load, uncached and cached.
 * Objects are read from $BUILD once and served from memory, so file I/O
 * is not measured. The hook is the stand-in used by the tests (the traced
 * function calls ovl_bpf_enter itself), not the unikernel's patched entry.
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
static volatile int site = -1;

__attribute__((noinline)) static uint64_t traced(uint64_t key)
{
	if (site >= 0) {
		uint64_t args[6] = { key };
		ovl_bpf_enter(bpf, (uint32_t)site, args, 0);
	}
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
	(void)ud, (void)addr, (void)err;
	site = on ? (int)s : -1;
	return GRAFT_OK;
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

static double per_call(int calls)
{
	double best = 1e18;
	for (int rep = 0; rep < 5; rep++) {
		uint64_t t0 = now_ns();
		uint64_t acc = 0;
		for (int i = 0; i < calls; i++)
			acc += traced((uint64_t)i & 7);
		double ns = (double)(now_ns() - t0) / calls;
		if (acc && ns < best)
			best = ns;
	}
	return best;
}

static void trace_rows(unsigned flags, const char *mode)
{
	struct ovl_bpf_opts o = {
		.host = { NULL, h_read, h_now, h_sym, h_hook },
		.alloc = { h_alloc, h_free, NULL },
		.prog_flags = flags,
	};
	struct graft_err err;
	if (ovl_bpf_create(&bpf, &o, &err)) {
		printf("%s: %s\n", mode, err.msg);
		return;
	}
	ovl_bpf_services(bpf, &svc);
	double base = per_call(2000000);
	const char *a = say("bpf_attach traced exec.o count\n");
	if (strncmp(a, "ok", 2)) {
		printf("traced call (%s): %s", mode, a);
		ovl_bpf_free(bpf);
		return;
	}
	double counter = per_call(1000000);
	say("bpf_detach traced\n");
	say("bpf_attach traced exec.o sum\n");
	double noop = per_call(1000000);
	say("bpf_detach traced\n");
	printf("%-44s %8.1f ns\n", "untraced call", base);
	printf("%-44s %8.1f ns  (+%.1f ns)\n",
	       mode[0] == 'J' ? "traced call, sum program, JIT" :
				"traced call, sum program, interpreter",
	       noop, noop - base);
	printf("%-44s %8.1f ns  (+%.1f ns)  target < 30 ns with the JIT\n",
	       mode[0] == 'J' ? "traced call, counter program, JIT" :
				"traced call, counter program, interpreter",
	       counter, counter - base);
	ovl_bpf_free(bpf);
	bpf = NULL;
}

int main(void)
{
	const char *b = getenv("BUILD");
	char dir[300];
	snprintf(dir, sizeof dir, "%s/overlay_bpf", b && *b ? b : "build");
	preload(dir, "exec.o", 0);
	snprintf(dir, sizeof dir, "%s/overlay_native", b && *b ? b : "build");
	preload(dir, "hello.o", 1);

	trace_rows(0, "interpreter");
	trace_rows(EBPF_F_JIT, "JIT");

	struct ovl_bpf_opts o = {
		.host = { NULL, h_read, h_now, h_sym, h_hook },
		.alloc = { h_alloc, h_free, NULL },
	};
	struct graft_err err;
	if (ovl_bpf_create(&bpf, &o, &err))
		return 1;
	ovl_bpf_services(bpf, &svc);
	say("bpf_exec exec.o sum 1 2 3\n"); /* load once: the cache is warm */
	double exec = median_of("bpf_exec exec.o sum 1 2 3\n", 2000);
	double att = median_of("bpf_attach traced exec.o count\nbpf_detach traced\n",
			       2000);
	printf("%-44s %8.2f us\n", "bpf_exec (cached object, 7 insns)", exec / 1e3);
	printf("%-44s %8.2f us\n", "bpf_attach + bpf_detach (cached object)",
	       att / 1e3);
	ovl_bpf_free(bpf);

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
	double warm = median_of("load hello.o\n", 2000);
	printf("%-44s %8.2f us  target < 50 us\n",
	       "native load (link, protect) + unload", cold / 1e3);
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
	printf("%-44s %8.2f us  (the rest above is mmap/mprotect)\n",
	       "native load + unload, link only", link / 1e3);
	ovl_native_free(nat);
	return 0;
}
