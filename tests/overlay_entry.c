/*
 * Real function-entry tracing on the Linux platform: functions built with
 * patchable_function_entry(5, 0) get their entry rewritten to call a
 * trampoline (lib/overlay/entry.c through gp_text_patch). Checked: the
 * patched and restored bytes, several programs on one function, detaching
 * one while another stays, the arguments (integer and floating point) and
 * return address the program sees, a function without the NOP entry
 * refused, attaching to a function that is suspended mid-body (cooperative
 * threads), and programs that fault or run away: the call still returns
 * the right value. Runs for the interpreter and for the JIT.
 * Objects come from $BUILD/overlay_bpf (built by mk/overlay.mk).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graft/ebpf.h"
#include "graft/overlay.h"
#include "graft/platform.h"
#include "testlib.h"

#define TRACEABLE __attribute__((patchable_function_entry(5, 0), noipa, used))

static char objdir[256];
static volatile uint64_t last_ret;

TRACEABLE uint64_t ent_six(uint64_t a, uint64_t b, uint64_t c, uint64_t d,
			   uint64_t e, uint64_t f)
{
	last_ret = (uint64_t)(uintptr_t)__builtin_return_address(0);
	return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f;
}

TRACEABLE double ent_mix(double x, uint64_t k, double y)
{
	return x * 2 + (double)k + y;
}

__attribute__((noipa, used)) uint64_t ent_plain(uint64_t a)
{
	return a * 7 + 1;
}

static volatile int slow_inside, slow_go;

/* Yields in the middle of its body until told to go on. */
TRACEABLE uint64_t ent_slow(uint64_t n)
{
	uint64_t acc = 0;
	slow_inside = 1;
	while (!slow_go)
		gp_thread_yield();
	for (uint64_t i = 0; i < n; i++)
		acc += i;
	return acc;
}

/* ---- host ---------------------------------------------------------------- */

static struct ovl_entry *entry;

static enum graft_status t_read(void *ud, const char *path,
				const struct graft_alloc *a, void **data,
				size_t *len, struct graft_err *err)
{
	(void)ud;
	return t_read_file_in(objdir, path, a, data, len, err);
}

static uint64_t t_now(void *ud)
{
	(void)ud;
	return gp_now_ns();
}

static uint64_t t_sym(void *ud, const char *name)
{
	(void)ud;
	static const struct {
		const char *name;
		void *fn;
	} syms[] = {
		{ "ent_six", (void *)ent_six },
		{ "ent_mix", (void *)ent_mix },
		{ "ent_plain", (void *)ent_plain },
		{ "ent_slow", (void *)ent_slow },
	};
	for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++)
		if (!strcmp(name, syms[i].name))
			return (uint64_t)(uintptr_t)syms[i].fn;
	return 0;
}

static enum graft_status t_hook(void *ud, uint64_t addr, uint32_t site,
				bool on, struct graft_err *err)
{
	(void)ud;
	return ovl_entry_hook(entry, addr, site, on, err);
}

/* ---- the console without a socket --------------------------------------- */

static struct ovl_services svc;
static char out[1 << 16];
static size_t out_len;

static int w(void *ud, const void *p, size_t n)
{
	(void)ud;
	if (out_len + n >= sizeof out)
		return -1;
	memcpy(out + out_len, p, n);
	out_len += n;
	return 0;
}

static long r(void *ud, void *p, size_t n)
{
	(void)ud, (void)p, (void)n;
	return 0;
}

static const char *say(const char *line)
{
	static struct ovl_session s;
	struct ovl_chan c = { NULL, r, w };
	out_len = 0;
	ovl_session_init(&s, &c, &svc);
	ovl_session_feed(&s, line, strlen(line));
	ovl_session_feed(&s, "\n", 1);
	out[out_len] = 0;
	if (getenv("OVL_SHOW"))
		printf("> %s\n%s", line, out);
	return out;
}

#define EXPECT_HAS(line, want)                                               \
	do {                                                                 \
		const char *got_ = say(line);                               \
		T_CHECK(strstr(got_, want) != NULL, "%s %s: got [%s] want [%s]", \
			mode, line, got_, want);                             \
	} while (0)

static uint64_t map_u64(const char *map, unsigned key)
{
	char line[64];
	snprintf(line, sizeof line, "bpf_map_get %s %u", map, key);
	return strtoull(say(line), NULL, 0);
}

/* The five bytes at the patch point (after endbr64, if any). */
static uint8_t *patch_point(void *fn)
{
	uint8_t *p = fn;
	static const uint8_t endbr[4] = { 0xf3, 0x0f, 0x1e, 0xfa };
	return memcmp(p, endbr, 4) ? p : p + 4;
}

static const char *mode;

static void worker(void *arg)
{
	*(uint64_t *)arg = ent_slow(10);
}

static void run_suite(unsigned flags)
{
	mode = flags & EBPF_F_JIT ? "jit" : "interp";
	struct graft_alloc a = { t_heap_alloc, t_heap_free, NULL };
	struct ovl_bpf_opts o = {
		.host = { NULL, t_read, t_now, t_sym, t_hook, NULL },
		.alloc = a,
		.prog_flags = flags,
	};
	struct graft_err err;
	struct ovl_bpf *b;
	if (!T_CHECK(!ovl_entry_create(&entry, &a, &err) &&
		     !ovl_bpf_create(&b, &o, &err), "%s create: %s", mode, err.msg))
		return;
	ovl_entry_bind(entry, b);
	ovl_bpf_services(b, &svc);

	uint8_t *six = patch_point((void *)ent_six), orig[5];
	memcpy(orig, six, 5);
	T_CHECK(!memcmp(orig, "\x90\x90\x90\x90\x90", 5), "%s: entry is 5 NOPs", mode);

	/* Several programs on one function. */
	EXPECT_HAS("bpf_attach ent_six entry.o tally", "ok attached tally to ent_six as 1");
	T_CHECK(six[0] == 0xe8, "%s: entry patched to a call (%02x)", mode, six[0]);
	EXPECT_HAS("bpf_attach ent_six entry.o record", "ok attached record to ent_six as 2");
	uint64_t sum = 0;
	for (uint64_t i = 0; i < 10; i++)
		sum += ent_six(i, 1, 2, 3, 4, 5);
	T_CHECK(sum == 45 + 10 * (2 + 6 + 12 + 20 + 30), "%s: results while traced: %llu",
		mode, (unsigned long long)sum);
	T_CHECK(map_u64("hits", 0) == 10, "%s: tally counted 10 calls: %llu", mode,
		(unsigned long long)map_u64("hits", 0));
	uint64_t v = ent_six(11, 22, 33, 44, 55, 66);
	T_CHECK(v == 11 + 44 + 99 + 176 + 275 + 396, "%s: six args result", mode);
	for (unsigned i = 0; i < 6; i++)
		T_CHECK(map_u64("seen", i) == 11 * (i + 1), "%s: program saw arg %u = %llu",
			mode, i, (unsigned long long)map_u64("seen", i));
	T_CHECK(map_u64("seen", 6) == last_ret && last_ret,
		"%s: program saw return address %#llx, want %#llx", mode,
		(unsigned long long)map_u64("seen", 6), (unsigned long long)last_ret);
	printf("%s: two programs on one function, 6 arguments and the return address seen\n",
	       mode);

	/* Detach one: the other stays, the entry stays patched. */
	EXPECT_HAS("bpf_detach 1", "ok detached 1");
	T_CHECK(six[0] == 0xe8, "%s: still patched with one left", mode);
	ent_six(1, 2, 3, 4, 5, 6);
	T_CHECK(map_u64("hits", 0) == 11, "%s: detached program no longer runs", mode);
	T_CHECK(map_u64("seen", 0) == 1, "%s: remaining program still runs", mode);
	EXPECT_HAS("bpf_detach ent_six", "ok detached 1 from ent_six");
	T_CHECK(!memcmp(six, orig, 5), "%s: detach restored the 5 bytes", mode);
	T_CHECK(ent_six(1, 1, 1, 1, 1, 1) == 21, "%s: untraced result", mode);
	EXPECT_HAS("bpf_detach ent_six", "error: bpf_detach: nothing attached to 'ent_six'");
	printf("%s: detach one keeps the other; detach all restores the bytes\n", mode);

	/* Floating-point arguments survive the trampoline. */
	EXPECT_HAS("bpf_attach ent_mix entry.o tally", "ok attached");
	double d = ent_mix(1.5, 2, 0.25);
	T_CHECK(d == 5.25, "%s: float args through the trampoline: %g", mode, d);
	EXPECT_HAS("bpf_detach ent_mix", "ok detached 1");

	/* No NOP entry: refused, naming the flag; nothing changed. */
	uint8_t before[5];
	memcpy(before, (void *)ent_plain, 5);
	EXPECT_HAS("bpf_attach ent_plain entry.o tally",
		   "error: bpf_attach: ent_plain: the entry at");
	EXPECT_HAS("bpf_attach ent_plain entry.o tally",
		   "build the function with -fpatchable-function-entry=5,0");
	T_CHECK(!memcmp(before, (void *)ent_plain, 5) && ent_plain(2) == 15,
		"%s: refused function untouched", mode);
	printf("%s: float arguments kept; a function without the NOP entry refused\n", mode);

	/* A function running (suspended mid-body) while it gets attached. */
	uint64_t res = 0, h0 = map_u64("hits", 0);
	slow_inside = slow_go = 0;
	struct gp_thread *t = gp_thread_create(worker, &res, 64 << 10, "slow");
	for (int i = 0; i < 100 && !slow_inside; i++)
		gp_thread_yield();
	T_CHECK(slow_inside, "%s: worker is inside ent_slow", mode);
	EXPECT_HAS("bpf_attach ent_slow entry.o tally", "ok attached");
	slow_go = 1;
	gp_thread_join(t);
	T_CHECK(res == 45, "%s: the running call finished right: %llu", mode,
		(unsigned long long)res);
	T_CHECK(map_u64("hits", 0) == h0, "%s: the call already running is not counted",
		mode);
	T_CHECK(ent_slow(4) == 6 && map_u64("hits", 0) == h0 + 1,
		"%s: the next call is traced", mode);
	EXPECT_HAS("bpf_detach ent_slow", "ok detached 1");
	printf("%s: attach to a function suspended mid-body; it finishes, the next call is traced\n",
	       mode);

	/* Faulting and runaway programs: errors, the function goes on. */
	EXPECT_HAS("bpf_attach ent_six entry.o wild", "ok attached");
	EXPECT_HAS("bpf_attach ent_six faulty.o spin", "ok attached");
	EXPECT_HAS("bpf_attach ent_six entry.o tally", "ok attached");
	h0 = map_u64("hits", 0);
	T_CHECK(ent_six(0x10, 0, 0, 0, 0, 1) == 0x16, "%s: result with faulty programs", mode);
	T_CHECK(map_u64("hits", 0) == h0 + 1, "%s: program after the faulty ones ran", mode);
	const char *l = say("bpf_list");
	T_CHECK(strstr(l, "invalid load of 8 bytes at 0x10") &&
		strstr(l, "instruction budget of 1000000 exhausted"),
		"%s: bpf_list reports both errors: [%s]", mode, l);
	EXPECT_HAS("bpf_detach ent_six", "ok detached 3 from ent_six");
	T_CHECK(!memcmp(six, orig, 5), "%s: bytes restored after faults", mode);
	printf("%s: faulting and runaway programs reported, the call returns right\n", mode);

	/* Verified programs: JIT, unchecked; bpf_list says so. */
	EXPECT_HAS("bpf_attach ent_six entry.o fast_count", "ok attached");
	EXPECT_HAS("bpf_attach ent_six entry.o fast_tally", "ok attached");
	EXPECT_HAS("bpf_attach ent_six entry.o record", "ok attached");
	for (uint64_t i = 0; i < 300; i++)
		ent_six(i, 0, 0, 0, 0, 0);
	T_CHECK(map_u64("fast_hits", 0) == 300, "%s: verified array counter: %llu", mode,
		(unsigned long long)map_u64("fast_hits", 0));
	T_CHECK(map_u64("by_arg", 7) == 2 && map_u64("by_arg", 255) == 1,
		"%s: verified hash counter by argument", mode);
	l = say("bpf_list");
	const char *fc = strstr(l, "entry.o:fast_count");
	const char *tl = strstr(l, "entry.o:record");
	T_CHECK(fc && strstr(fc, "mode: verified, JIT unchecked") &&
		tl && strstr(tl, "mode: checked"),
		"%s: bpf_list shows verified and checked modes: [%s]", mode, l);
	EXPECT_HAS("bpf_exec entry.o fast_count",
		   "error: bpf_exec: fast_count was verified as a trace program");
	EXPECT_HAS("bpf_detach ent_six", "ok detached 3 from ent_six");
	printf("%s: verified counters run JIT-compiled unchecked (bpf_list says so); "
	       "bpf_exec refuses a trace-only program\n", mode);

	/* Freeing with something attached restores the entry too. */
	EXPECT_HAS("bpf_attach ent_six entry.o tally", "ok attached");
	ovl_bpf_free(b);
	ovl_entry_free(entry);
	T_CHECK(!memcmp(six, orig, 5), "%s: free restored the bytes", mode);
	T_CHECK(ent_six(1, 0, 0, 0, 0, 0) == 1, "%s: call after free", mode);
	entry = NULL;
}

int main(void)
{
	const char *bd = getenv("BUILD");
	snprintf(objdir, sizeof objdir, "%s/overlay_bpf", bd && *bd ? bd : "build");
	run_suite(0);
	run_suite(EBPF_F_JIT);
	return t_done();
}
