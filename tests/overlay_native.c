/*
 * Native programs through the console on Linux: load (link against this
 * process's "image" symbols, stubs for far calls, GOT for far data),
 * cache by content, run with arguments and console output, read an
 * application variable and call an application function, unload; and the
 * refusals: not ELF, wrong machine, no main, unknown symbol, a non-PIC
 * object whose image is out of 32-bit reach, truncated and corrupted
 * objects (every prefix of a real one, and 2,000 random byte flips).
 * Objects come from $BUILD/overlay_native (built by mk/overlay.mk).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "graft/overlay.h"
#include "testlib.h"

static char objdir[256];
long app_counter = 21;

__attribute__((noinline)) long app_double(long v)
{
	return 2 * v;
}

static void *t_alloc(void *ud, size_t n)
{
	(void)ud;
	return aligned_alloc(16, (n + 15) & ~(size_t)15);
}

static void t_free(void *ud, void *p)
{
	(void)ud;
	free(p);
}

/* Files: objects by name from objdir, or the in-memory "mem.o". */
static const void *mem_obj;
static size_t mem_len;

static enum graft_status t_read(void *ud, const char *path,
				const struct graft_alloc *a, void **data,
				size_t *len, struct graft_err *err)
{
	(void)ud;
	if (!strcmp(path, "mem.o")) {
		*data = a->alloc(a->ud, mem_len + 1);
		memcpy(*data, mem_obj, mem_len);
		*len = mem_len;
		return GRAFT_OK;
	}
	return t_read_file_in(objdir, path, a, data, len, err);
}

static uint64_t t_sym(void *ud, const char *name)
{
	(void)ud;
	if (!strcmp(name, "app_counter"))
		return (uint64_t)(uintptr_t)&app_counter;
	if (!strcmp(name, "app_double"))
		return (uint64_t)(uintptr_t)app_double;
	return 0;
}

static uint64_t t_now(void *ud)
{
	struct timespec t;
	(void)ud;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static unsigned pages_live;

static void *t_pages(void *ud, size_t len)
{
	(void)ud;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	pages_live++;
	return p;
}

static int t_protect(void *ud, void *p, size_t len, unsigned prot)
{
	(void)ud;
	int pr = (prot & OVL_PROT_R ? PROT_READ : 0) |
		 (prot & OVL_PROT_W ? PROT_WRITE : 0) |
		 (prot & OVL_PROT_X ? PROT_EXEC : 0);
	return mprotect(p, len, pr);
}

static void t_pages_free(void *ud, void *p, size_t len)
{
	(void)ud;
	munmap(p, len);
	pages_live--;
}

struct buf_chan {
	char out[1 << 16];
	size_t len;
};

static int buf_write(void *ud, const void *p, size_t n)
{
	struct buf_chan *b = ud;
	if (b->len + n >= sizeof b->out)
		return -1;
	memcpy(b->out + b->len, p, n);
	b->len += n;
	return 0;
}

static long buf_read(void *ud, void *p, size_t n)
{
	(void)ud, (void)p, (void)n;
	return 0;
}

static struct ovl_services svc;
static struct buf_chan chan;
static bool show;

static const char *say(const char *line)
{
	static struct ovl_session s;
	struct ovl_chan c = { &chan, buf_read, buf_write };
	chan.len = 0;
	ovl_session_init(&s, &c, &svc);
	ovl_session_feed(&s, line, strlen(line));
	ovl_session_feed(&s, "\n", 1);
	chan.out[chan.len] = 0;
	if (show)
		printf("> %s\n%s", line, chan.out);
	return chan.out;
}

#define EXPECT_HAS(line, want)                                              \
	do {                                                                \
		const char *got_ = say(line);                              \
		T_CHECK(strstr(got_, want) != NULL, "%s: got [%s] want [%s]", \
			line, got_, want);                                  \
	} while (0)

static void *slurp(const char *name, size_t *len)
{
	char p[600];
	snprintf(p, sizeof p, "%s/%s", objdir, name);
	FILE *f = fopen(p, "rb");
	if (!f)
		return NULL;
	static char buf[1 << 16];
	*len = fread(buf, 1, sizeof buf, f);
	fclose(f);
	return buf;
}

static void test_load_run(void)
{
	EXPECT_HAS("load hello.o", "ok loaded hello: ");
	EXPECT_HAS("run hello a b",
		   "hello from a native program\nhello\na\nb\nok hello returned 301 in ");
	EXPECT_HAS("run hello", "ok hello returned 102 ");
	EXPECT_HAS("load hello.o", "ok hello cached (same content)");
	EXPECT_HAS("run hello", "returned 103"); /* state kept: cached */
	EXPECT_HAS("load reader.o", "ok loaded reader: ");
	EXPECT_HAS("run reader", "ok reader returned 42 ");
	app_counter = 50;
	EXPECT_HAS("run reader", "ok reader returned 100 ");
	EXPECT_HAS("unload reader", "ok unloaded reader\n");
	EXPECT_HAS("run reader", "error: run: no program 'reader' loaded\n");
	EXPECT_HAS("unload reader", "error: unload: no program 'reader' loaded\n");
	EXPECT_HAS("load writer.o", "ok loaded writer");
	EXPECT_HAS("run writer", "(isolation: none)");
	T_CHECK(app_counter == 12345,
		"without protection keys the write goes through (%ld)", app_counter);
	EXPECT_HAS("unload writer", "ok");
	printf("native: load, run with arguments and console output, cache by "
	       "content, read and call the app by symbol, unload\n");
}

static void test_refusals(void)
{
	EXPECT_HAS("load nomain.o", "error: load: nomain.o: no global function 'main'\n");
	EXPECT_HAS("load unknown.o",
		   "error: load: unknown.o: unknown symbol 'no_such_symbol'\n");
	EXPECT_HAS("load missing.o", "error: load: missing.o: No such file");
	EXPECT_HAS("load reader_nopic.o", "out of 32-bit range (build with -fPIC)");
	static const char junk[64] = "this is not an ELF object";
	mem_obj = junk;
	mem_len = sizeof junk;
	EXPECT_HAS("load mem.o", "error: load: mem.o: not an ELF file\n");
	size_t len = 0;
	uint8_t *hello = slurp("hello.o", &len);
	T_CHECK(hello && len > 64, "hello.o readable");
	if (!hello)
		return;
	static uint8_t copy[1 << 16];
	memcpy(copy, hello, len);
	copy[18] = 0xf7; /* e_machine = EM_BPF */
	mem_obj = copy;
	EXPECT_HAS("load mem.o", "not a relocatable x86-64 ELF64 object");
	/* Every prefix: an error each time (the whole file loads). */
	unsigned refused = 0, loaded = 0;
	for (size_t n = 0; n < len; n += 7) {
		mem_obj = hello;
		mem_len = n;
		const char *r = say("load mem.o");
		refused += !strncmp(r, "error: load: mem.o: ", 20);
		loaded += !strncmp(r, "ok", 2);
		say("unload mem");
	}
	T_CHECK(refused + loaded == (len + 6) / 7, "every prefix answered");
	/* Random byte flips: each answered, never a crash. */
	uint64_t rng = 88172645463325252ull;
	unsigned ran = 0;
	for (int i = 0; i < 2000; i++) {
		memcpy(copy, hello, len);
		for (int k = 0; k < 4; k++) {
			rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
			/* Loaded, never run: any byte may change. */
			copy[rng % len] ^= (uint8_t)(rng >> 32) | 1;
		}
		mem_obj = copy;
		mem_len = len;
		const char *r = say("load mem.o");
		T_CHECK(!strncmp(r, "ok", 2) || !strncmp(r, "error: load: mem.o: ", 20),
			"flip %d answered: [%s]", i, r);
		say("unload mem");
		ran++;
	}
	/* 1 loaded image, and at most 4 of unloaded ones kept for reuse */
	T_CHECK(pages_live >= 1 && pages_live <= 5,
		"pages of refused loads freed (%u live)", pages_live);
	printf("refusals: no main, unknown symbol, missing file, non-PIC out "
	       "of reach, not ELF, wrong machine, %zu prefixes, %u corrupted "
	       "copies\n", (len + 6) / 7, ran);
}

int main(void)
{
	const char *b = getenv("BUILD");
	show = getenv("OVL_SHOW") != NULL;
	snprintf(objdir, sizeof objdir, "%s/overlay_native", b && *b ? b : "build");
	struct ovl_native_host h = {
		.read_file = t_read, .sym_addr = t_sym, .now_ns = t_now,
		.pages_alloc = t_pages, .pages_protect = t_protect,
		.pages_free = t_pages_free,
	};
	struct graft_alloc a = { t_alloc, t_free, NULL };
	struct ovl_native *n = NULL;
	struct graft_err err;
	T_CHECK(!ovl_native_create(&n, &h, &a, &err), "create: %s", err.msg);
	if (!n)
		return t_done();
	ovl_native_services(n, &svc);
	test_load_run();
	test_refusals();
	ovl_native_free(n);
	T_CHECK(pages_live == 0, "all pages freed (%u live)", pages_live);
	return t_done();
}
