/*
 * The overlay's eBPF services over the real loader, maps and interpreter:
 * bpf_exec with arguments, globals and maps read back with bpf_map_*,
 * trace_printk through `trace`, faulty programs stopped with clear errors,
 * malformed and missing objects, and function-entry attachments driven by
 * a stand-in trampoline (the hooked function calls ovl_bpf_enter itself,
 * as the unikernel's patched entry would): several programs on one
 * function, detach by ID and by name, counts read back with bpf_map_dump.
 * Objects come from $BUILD/overlay_bpf (built by mk/overlay.mk).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "graft/overlay.h"
#include "testlib.h"

static char objdir[256];

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

static enum graft_status t_read(void *ud, const char *path,
				const struct graft_alloc *a, void **data,
				size_t *len, struct graft_err *err)
{
	(void)ud;
	if (strstr(path, ".."))
		return graft_errf(err, GRAFT_EPERM, "%s: '..' not allowed", path);
	return t_read_file_in(objdir, path, a, data, len, err);
}

static uint64_t t_now(void *ud)
{
	struct timespec t;
	(void)ud;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* ---- a traced function and its stand-in hook --------------------------- */

static struct ovl_bpf *bpf;
static int hooked_site = -1;
static unsigned hook_calls;

__attribute__((noinline)) static int handle_request(int key)
{
	if (hooked_site >= 0) {
		uint64_t args[6] = { (uint64_t)key };
		ovl_bpf_enter(bpf, (uint32_t)hooked_site, args,
			      (uint64_t)(uintptr_t)__builtin_return_address(0));
	}
	return key * 2;
}

uint64_t test_counter = 4242;

static uint64_t t_sym(void *ud, const char *name)
{
	(void)ud;
	if (!strcmp(name, "test_counter"))
		return (uint64_t)(uintptr_t)&test_counter;
	if (!strcmp(name, "handle_request"))
		return (uint64_t)(uintptr_t)handle_request;
	return 0;
}

static enum graft_status t_hook(void *ud, uint64_t addr, uint32_t site,
				bool on, struct graft_err *err)
{
	(void)ud;
	hook_calls++;
	if (addr != (uint64_t)(uintptr_t)handle_request)
		return graft_errf(err, GRAFT_EINVAL, "not hookable");
	hooked_site = on ? (int)site : -1;
	return GRAFT_OK;
}

/* ---- talking to the session ------------------------------------------- */

struct buf_chan {
	char out[1 << 18];
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

static const char *say(const char *line)
{
	static struct ovl_session s;
	struct ovl_chan c = { &chan, buf_read, buf_write };
	chan.len = 0;
	ovl_session_init(&s, &c, &svc);
	ovl_session_feed(&s, line, strlen(line));
	ovl_session_feed(&s, "\n", 1);
	chan.out[chan.len] = 0;
	return chan.out;
}

#define EXPECT_HAS(line, want)                                              \
	do {                                                                \
		const char *got_ = say(line);                              \
		if (getenv("OVL_SHOW"))                                    \
			printf("> %s\n%s", line, got_);                    \
		T_CHECK(strstr(got_, want) != NULL, "%s: got [%s] want [%s]", \
			line, got_, want);                                  \
	} while (0)

static void test_exec(void)
{
	EXPECT_HAS("bpf_exec exec.o sum 1 2 3", "r0 = 6 (0x6)\nok sum: ");
	EXPECT_HAS("bpf_exec exec.o sum 0x10 -1 0", "r0 = 15 (0xf)\n");
	EXPECT_HAS("bpf_map_get exec.o:.bss 0", "15\nok\n");
	EXPECT_HAS("bpf_map_get .bss 0", "15\nok\n");
	EXPECT_HAS("bpf_exec exec.o", "r0 = 0 (0x0)\nok sum:");
	EXPECT_HAS("bpf_map_get .bss 0", "0\nok\n");
	EXPECT_HAS("bpf_exec exec.o hello", "r0 = 7 (0x7)\nok hello: ");
	EXPECT_HAS("bpf_exec exec.o hello", "trace output waiting");
	const char *r = say("trace");
	const char *second = strstr(r, "hello from eBPF 42");
	second = second ? strstr(second + 1, "hello from eBPF 42") : NULL;
	T_CHECK(second && strstr(r, "ok ") && !strstr(r, "error"),
		"trace shows both runs: [%s]", r);
	EXPECT_HAS("trace", "ok 0 bytes\n");
	EXPECT_HAS("bpf_exec exec.o nope",
		   "error: bpf_exec: no program 'nope' in exec.o (it has sum, hello, count)\n");
	EXPECT_HAS("bpf_exec missing.o", "error: bpf_exec: missing.o: No such file");
	EXPECT_HAS("bpf_exec notelf.o", "error: bpf_exec: notelf.o: ");
	EXPECT_HAS("bpf_exec ../x.o", "error: bpf_exec: ../x.o: '..' not allowed");
	printf("exec: arguments, globals read back, trace ring, unknown "
	       "program, missing and malformed objects\n");
}

static void test_faults(void)
{
	EXPECT_HAS("bpf_exec faulty.o peek 0",
		   "error: bpf_exec: faulty.o peek stopped: pc 0: invalid load of 8 bytes at 0x0");
	EXPECT_HAS("bpf_exec faulty.o peek 0", "faulty.c:");
	EXPECT_HAS("bpf_exec faulty.o spin 0",
		   "error: bpf_exec: faulty.o spin stopped: instruction budget of 1000000 exhausted at pc");
	EXPECT_HAS("bpf_exec exec.o sum 2 2 2", "r0 = 6 (0x6)\n");
	EXPECT_HAS("stats", " runs (3 failed)");
	printf("faults: out-of-bounds load (with source line), runaway loop; "
	       "the next run is fine\n");
}

static void test_maps(void)
{
	EXPECT_HAS("bpf_map_put calls 5 500", "ok\n");
	EXPECT_HAS("bpf_map_get calls 5", "500\nok\n");
	EXPECT_HAS("bpf_map_get exec.o:calls 5", "500\nok\n");
	EXPECT_HAS("bpf_map_put calls hex:06000000 hex:0100000000000000", "ok\n");
	EXPECT_HAS("bpf_map_dump calls", "ok 2 entries\n");
	EXPECT_HAS("bpf_map_dump calls", "6 = 1\n");
	EXPECT_HAS("bpf_map_del calls 5", "ok\n");
	EXPECT_HAS("bpf_map_get calls 5", "error: bpf_map_get: calls: no key 5\n");
	EXPECT_HAS("bpf_map_del calls 5", "error: bpf_map_del: calls: no key 5\n");
	EXPECT_HAS("bpf_map_get calls 0x100000000",
		   "error: bpf_map_get: value '0x100000000' does not fit in 4 bytes\n");
	EXPECT_HAS("bpf_map_get nomap 1", "error: bpf_map_get: no map 'nomap'");
	EXPECT_HAS("bpf_map_dump nomap", "error: bpf_map_dump: no map 'nomap'");
	EXPECT_HAS("bpf_map_del calls 6", "ok\n");
	printf("maps: put/get/del/dump by name and OBJ:NAME, number and hex "
	       "keys, missing keys and maps, oversized keys\n");
}

static void test_attach(void)
{
	EXPECT_HAS("bpf_attach handle_request exec.o count",
		   "ok attached count to handle_request as 1\n");
	EXPECT_HAS("bpf_attach handle_request exec.o count",
		   "ok attached count to handle_request as 2\n");
	for (int i = 0; i < 100; i++)
		handle_request(i % 3);
	EXPECT_HAS("bpf_map_dump calls", "0 = 68\n"); /* 34 calls, 2 programs */
	EXPECT_HAS("bpf_map_dump calls", "2 = 66\n");
	EXPECT_HAS("bpf_list", "handle_request");
	const char *r = say("bpf_list");
	T_CHECK(strstr(r, "ok 2 attached") && strstr(r, "exec.o:count") &&
			strstr(r, "       100 "), "bpf_list: [%s]", r);
	EXPECT_HAS("bpf_detach 1", "ok detached 1\n");
	EXPECT_HAS("bpf_detach 1", "error: bpf_detach: nothing attached as 1\n");
	T_CHECK(hooked_site >= 0, "still hooked while one program stays");
	handle_request(1);
	EXPECT_HAS("bpf_map_get calls 1", "67\nok\n");
	EXPECT_HAS("bpf_attach handle_request faulty.o spin", "as 3\n");
	handle_request(0);
	r = say("bpf_list");
	T_CHECK(strstr(r, "last error: instruction budget of 1000000 exhausted"),
		"runaway attached program reported: [%s]", r);
	EXPECT_HAS("bpf_map_get calls 0", "69\nok\n");
	EXPECT_HAS("bpf_detach handle_request", "ok detached 2 from handle_request\n");
	T_CHECK(hooked_site < 0, "entry restored after the last detach");
	EXPECT_HAS("bpf_detach handle_request",
		   "error: bpf_detach: nothing attached to 'handle_request'\n");
	EXPECT_HAS("bpf_attach no_such_fn exec.o count",
		   "error: bpf_attach: unknown symbol 'no_such_fn'\n");
	EXPECT_HAS("bpf_attach handle_request exec.o nope",
		   "error: bpf_attach: no program 'nope'");
	EXPECT_HAS("bpf_list", "ok 0 attached\n");
	printf("attach: two programs on one function, detach by ID and by "
	       "name, runaway attached program, unknown symbol; %u hook calls\n",
	       hook_calls);
}

static void test_helpers(void)
{
	EXPECT_HAS("bpf_exec symbol.o read_var", "r0 = 4242 (0x1092)\n");
	test_counter = 7;
	EXPECT_HAS("bpf_exec symbol.o read_var", "r0 = 7 (0x7)\n");
	EXPECT_HAS("bpf_exec symbol.o read_missing", "r0 = 0 (0x0)\n");
	say("trace clear");
	EXPECT_HAS("bpf_attach handle_request symbol.o notify_ret", "ok attached");
	handle_request(5);
	EXPECT_HAS("bpf_detach handle_request", "ok detached 1 from");
	EXPECT_HAS("trace", "notify 1\n");
	printf("helpers: overlay_sym reads a variable by name, a missing "
	       "symbol gives 0, overlay_notify and overlay_ret_addr from a "
	       "traced call\n");

	EXPECT_HAS("bpf_exec kv.o put 3 4 77", "r0 = 77 (0x4d)\n");
	EXPECT_HAS("bpf_exec kv.o put 4 3 88", "r0 = 88 (0x58)\n");
	EXPECT_HAS("bpf_exec kv.o get 3 4", "r0 = 77 (0x4d)\n");
	EXPECT_HAS("bpf_map_get overlay 3,4", "77\nok\n");
	EXPECT_HAS("bpf_map_put overlay 9,9 5", "ok\n");
	EXPECT_HAS("bpf_exec kv.o get 9 9", "r0 = 5 (0x5)\n");
	EXPECT_HAS("bpf_exec kv.o del 3 4", "r0 = 0 (0x0)\n");
	EXPECT_HAS("bpf_exec kv.o get 3 4", "r0 = 0 (0x0)\n");
	EXPECT_HAS("bpf_exec kv.o del 3 4", "r0 = 18446744073709551614 ");
	EXPECT_HAS("bpf_map_get overlay 3,x", "error: bpf_map_get: bad value '3,x'");
	printf("helpers: the two-key store from programs and the console "
	       "(put, get, del, a missing entry, bad key)\n");

	say("trace clear");
	EXPECT_HAS("bpf_exec kv.o say", "first line\nsecond line, cut here\nr0 = 0");
	EXPECT_HAS("trace", "record 1\nrecord 2\nok");
	printf("helpers: overlay_puts to the console, trace_printk records end "
	       "with a newline\n");
}

int main(void)
{
	const char *b = getenv("BUILD");
	snprintf(objdir, sizeof objdir, "%s/overlay_bpf", b && *b ? b : "build");
	struct ovl_bpf_opts o = {
		.host = { .read_file = t_read, .now_ns = t_now,
			  .sym_addr = t_sym, .hook = t_hook },
		.alloc = { t_alloc, t_free, NULL },
	};
	struct graft_err err;
	T_CHECK(!ovl_bpf_create(&bpf, &o, &err), "create: %s", err.msg);
	if (!bpf)
		return t_done();
	ovl_bpf_services(bpf, &svc);
	test_exec();
	test_faults();
	test_maps();
	test_attach();
	test_helpers();
	ovl_bpf_free(bpf);
	return t_done();
}
