/*
 * tests/maps_helpers.c — the helpers called as an engine calls them
 * (r1..r5 and the ebpf_exec): argument checks that stop a program, the
 * -errno results Linux gives, trace_printk's formatting, probe_read's
 * faults, tail calls, the ring buffer, and the helper IDs: graft's own
 * against examples/bpf/include/graft_helpers.h, the Linux ones against
 * libbpf's bpf_helper_defs.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graft/maps.h"
#include "testlib.h"

static const struct graft_alloc A = { t_heap_alloc, t_heap_free, NULL };
static struct ebpf_helper table[GRAFT_HELPERS_MAX];
static size_t ntable;
static struct ebpf_exec x;
static struct graft_env env;
static struct graft_registry *reg;
static uint8_t mem[4096]; /* the program's "context" region */

#define U(p) ((uint64_t)(uintptr_t)(p))

static ebpf_helper_fn fn(uint32_t id)
{
	for (size_t i = 0; i < ntable; i++)
		if (table[i].id == id)
			return table[i].fn;
	return NULL;
}

static uint64_t call(uint32_t id, uint64_t a, uint64_t b, uint64_t c,
		     uint64_t d, uint64_t e)
{
	x.abort = false;
	x.err.status = GRAFT_OK;
	x.err.msg[0] = 0;
	ebpf_helper_fn f = fn(id);
	return f ? f(a, b, c, d, e, &x) : 0xdead;
}

static void reset(void)
{
	ebpf_exec_init(&x);
	x.user = &env;
	ebpf_exec_add_region(&x, mem, sizeof mem, EBPF_RW);
}

static void test_ids(void)
{
	FILE *f = fopen("examples/bpf/include/graft_helpers.h", "r");
	char line[512];
	unsigned found = 0, bad = 0;
	while (f && fgets(line, sizeof line, f)) {
		char *star = strstr(line, "(*"), *eq = strstr(line, "= (void *)");
		if (strncmp(line, "static", 6) || !star || !eq)
			continue;
		char name[64] = "";
		sscanf(star + 2, "%63[a-z0-9_]", name);
		unsigned long id = strtoul(eq + 10, NULL, 0);
		bool ok = false;
		for (size_t i = 0; i < graft_own_nhelpers; i++)
			ok |= graft_own_helpers[i].id == id &&
			      !strcmp(graft_own_helpers[i].name, name);
		bad += !ok;
		if (!ok)
			printf("FAIL header declares %s = %lu, runtime differs\n", name, id);
		found++;
	}
	if (f)
		fclose(f);
	T_CHECK(f && found == graft_own_nhelpers && !bad,
		"graft_helpers.h declares %u of %zu runtime helpers", found,
		graft_own_nhelpers);
	for (size_t i = 0; i < graft_own_nhelpers; i++)
		T_CHECK(graft_own_helpers[i].id >= GRAFT_HELPER_BASE,
			"%s in graft's range", graft_own_helpers[i].name);
	/* Linux IDs against libbpf's list, when installed. */
	f = fopen("/usr/include/bpf/bpf_helper_defs.h", "r");
	unsigned checked = 0;
	static char defs[1 << 20];
	size_t n = f ? fread(defs, 1, sizeof defs - 1, f) : 0;
	defs[n] = 0;
	if (f)
		fclose(f);
	for (size_t i = 0; n && i < ntable; i++) {
		if (table[i].id >= GRAFT_HELPER_BASE)
			continue;
		char pat[96];
		snprintf(pat, sizeof pat, "(*bpf_%s)(", table[i].name);
		char *p = strstr(defs, pat), *eq = p ? strstr(p, "= (void *) ") : NULL;
		T_CHECK(eq && strtoul(eq + 11, NULL, 10) == table[i].id,
			"bpf_%s is Linux helper %u", table[i].name, table[i].id);
		checked++;
	}
	for (size_t i = 0; i < ntable; i++)
		for (size_t j = 0; j < i; j++)
			T_CHECK(table[i].id != table[j].id, "IDs unique: %u", table[i].id);
	printf("ids: %u graft helpers match graft_helpers.h, %u Linux IDs match "
	       "bpf_helper_defs.h%s\n", found, checked, n ? "" : " (absent)");
}

static void test_map_helpers(void)
{
	struct graft_map_def d = { GRAFT_MAP_HASH, 4, 8, 2, 0 };
	struct graft_map *m;
	bool created;
	struct graft_err err;
	graft_registry_get(reg, "h", &d, 0, false, &m, &created, &err);
	uint64_t h = graft_registry_handle(reg, m);
	reset();
	uint32_t *key = (uint32_t *)mem;
	uint64_t *val = (uint64_t *)(mem + 8);
	*key = 7;
	*val = 99;
	T_CHECK(call(GRAFT_FN_map_update_elem, h, U(key), U(val), 0, 0) == 0,
		"update");
	uint64_t r = call(GRAFT_FN_map_lookup_elem, h, U(key), 0, 0, 0);
	T_CHECK(r && *(uint64_t *)(uintptr_t)r == 99, "lookup");
	T_CHECK((int64_t)call(GRAFT_FN_map_update_elem, h, U(key), U(val), 1, 0) ==
		-17, "NOEXIST gives -EEXIST");
	*key = 8;
	T_CHECK((int64_t)call(GRAFT_FN_map_update_elem, h, U(key), U(val), 2, 0) ==
		-2, "EXIST gives -ENOENT");
	T_CHECK((int64_t)call(GRAFT_FN_map_delete_elem, h, U(key), 0, 0, 0) == -2,
		"delete missing gives -ENOENT");
	call(GRAFT_FN_map_update_elem, h, U(key), U(val), 0, 0);
	*key = 9;
	T_CHECK((int64_t)call(GRAFT_FN_map_update_elem, h, U(key), U(val), 0, 0) ==
		-7, "full gives -E2BIG");
	call(GRAFT_FN_map_lookup_elem, h + 1, U(key), 0, 0, 0);
	T_CHECK(x.abort && strstr(x.err.msg, "is no map"), "forged handle stops: %s",
		x.err.msg);
	call(GRAFT_FN_map_lookup_elem, U(m), U(key), 0, 0, 0);
	T_CHECK(x.abort, "a raw pointer is no handle");
	uint64_t outside = 0;
	call(GRAFT_FN_map_lookup_elem, h, U(&outside), 0, 0, 0);
	T_CHECK(x.abort && strstr(x.err.msg, "key") && strstr(x.err.msg, "readable"),
		"key outside the regions stops: %s", x.err.msg);
	call(GRAFT_FN_map_update_elem, h, U(key), U(mem + sizeof mem - 4), 0, 0);
	T_CHECK(x.abort && strstr(x.err.msg, "value"), "value past the region: %s",
		x.err.msg);
	x.user = NULL;
	call(GRAFT_FN_map_lookup_elem, h, U(key), 0, 0, 0);
	T_CHECK(x.abort && strstr(x.err.msg, "graft_env"), "no env");
	reset();
	T_CHECK(call(GRAFT_FN_graft_map_count, h, 0, 0, 0, 0) == 2, "graft_map_count");
	graft_registry_put(reg, m);

	/* queue through push/pop/peek */
	struct graft_map_def qd = { GRAFT_MAP_QUEUE, 0, 4, 2, 0 };
	graft_registry_get(reg, "q", &qd, 0, false, &m, &created, &err);
	h = graft_registry_handle(reg, m);
	uint32_t *v = (uint32_t *)mem;
	*v = 5;
	call(GRAFT_FN_map_push_elem, h, U(v), 0, 0, 0);
	*v = 6;
	call(GRAFT_FN_map_push_elem, h, U(v), 0, 0, 0);
	T_CHECK((int64_t)call(GRAFT_FN_map_push_elem, h, U(v), 0, 0, 0) == -7,
		"push full");
	T_CHECK(call(GRAFT_FN_map_peek_elem, h, U(v), 0, 0, 0) == 0 && *v == 5, "peek");
	T_CHECK(call(GRAFT_FN_map_pop_elem, h, U(v), 0, 0, 0) == 0 && *v == 5, "pop");
	call(GRAFT_FN_map_pop_elem, h, U(&outside), 0, 0, 0);
	T_CHECK(x.abort && strstr(x.err.msg, "writable"), "pop into host memory stops");
	graft_registry_put(reg, m);
	printf("map helpers: results as -errno, bad handles and pointers stop\n");
}

static void test_printk(void)
{
	struct {
		const char *fmt;
		uint64_t a, b, c;
		const char *out;
	} cases[] = {
		{ "n=%d\n", (uint64_t)-5, 0, 0, "n=-5\n" },
		{ "%u %x %X", 4294967295u, 255, 255, "4294967295 ff FF" },
		{ "%ld %lld", (uint64_t)-1, (uint64_t)-2, 0, "-1 -2" },
		{ "%lu %llx", ~0ull, 0xabcdef0123ull, 0, "18446744073709551615 abcdef0123" },
		{ "%5d|%-4u|%03x", 42, 7, 10, "   42|7   |00a" },
		{ "%c%c 100%%", 'o', 'k', 0, "ok 100%" },
		{ "%d %d %d", 1, 2, 3, "1 2 3" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		reset();
		env.log_len = 0;
		env.log[0] = 0;
		size_t n = strlen(cases[i].fmt) + 1;
		memcpy(mem, cases[i].fmt, n);
		uint64_t r = call(GRAFT_FN_trace_printk, U(mem), n, cases[i].a,
				  cases[i].b, cases[i].c);
		T_CHECK(!strcmp(env.log, cases[i].out) && r == strlen(cases[i].out),
			"printk \"%s\": \"%s\" (%llu)", cases[i].fmt, env.log,
			(unsigned long long)r);
	}
	reset();
	env.log_len = 0;
	strcpy((char *)mem, "hi %s!");
	strcpy((char *)mem + 100, "there");
	call(GRAFT_FN_trace_printk, U(mem), 7, U(mem + 100), 0, 0);
	T_CHECK(!strcmp(env.log, "hi there!"), "%%s reads program memory: %s", env.log);
	env.log_len = 0;
	uint64_t host = 0;
	call(GRAFT_FN_trace_printk, U(mem), 7, U(&host), 0, 0);
	T_CHECK(strstr(env.log, "(efault)") != NULL, "%%s of host memory: %s", env.log);
	const char *bad[] = { "%d %d %d %d", "%q", "%", "%n" };
	for (size_t i = 0; i < 4; i++) {
		size_t n = strlen(bad[i]) + 1;
		memcpy(mem, bad[i], n);
		T_CHECK((int64_t)call(GRAFT_FN_trace_printk, U(mem), n, 1, 2, 3) == -22,
			"printk \"%s\" is -EINVAL", bad[i]);
	}
	memcpy(mem, "abc", 3);
	T_CHECK((int64_t)call(GRAFT_FN_trace_printk, U(mem), 3, 0, 0, 0) == -22,
		"unterminated format is -EINVAL");
	/* the log keeps what fits and counts the rest */
	env.log_len = 0;
	env.log_dropped = 0;
	memset(mem, 'x', 500);
	mem[500] = 0;
	for (int i = 0; i < 20; i++)
		call(GRAFT_FN_trace_printk, U(mem), 501, 0, 0, 0);
	T_CHECK(env.log_len == GRAFT_LOG_SIZE - 1 && env.log_dropped > 0,
		"log full: %u kept, %u dropped", env.log_len, env.log_dropped);
	char out[64];
	size_t got = graft_env_take_log(&env, out, sizeof out);
	T_CHECK(got == 63 && env.log_len == GRAFT_LOG_SIZE - 64, "take_log drains");
	printf("trace_printk: %zu formats, %%s, bad formats, log overflow\n",
	       sizeof cases / sizeof cases[0]);
}

static void test_probe(void)
{
	reset();
	uint64_t host = 0x1122334455667788ull;
	memset(mem, 0xff, 16);
	T_CHECK((int64_t)call(GRAFT_FN_probe_read_kernel, U(mem), 8, U(&host), 0, 0) ==
		-14 && !mem[0] && !mem[7], "probe_read of host memory: -EFAULT, zeroed");
	memcpy(mem + 100, "abcdef", 7);
	T_CHECK(call(GRAFT_FN_probe_read, U(mem), 7, U(mem + 100), 0, 0) == 0 &&
		!memcmp(mem, "abcdef", 7), "probe_read inside the regions");
	T_CHECK(call(GRAFT_FN_probe_read_kernel_str, U(mem), 4, U(mem + 100), 0, 0) ==
		4 && !strcmp((char *)mem, "abc"), "probe_read_str truncates");
	T_CHECK(call(GRAFT_FN_probe_read_user_str, U(mem), 32, U(mem + 100), 0, 0) ==
		7, "probe_read_str length with the NUL");
	memset(mem + sizeof mem - 3, 'z', 3);
	T_CHECK(call(GRAFT_FN_probe_read_str, U(mem), 32, U(mem + sizeof mem - 3), 0,
		     0) == 4, "string running off the region stops there");
	call(GRAFT_FN_probe_read, U(&host), 8, U(mem), 0, 0);
	T_CHECK(x.abort, "probe_read into host memory stops the program");
	env.rand_state = 1;
	uint64_t a = call(GRAFT_FN_get_prandom_u32, 0, 0, 0, 0, 0);
	uint64_t b = call(GRAFT_FN_get_prandom_u32, 0, 0, 0, 0, 0);
	T_CHECK(a != b && a <= 0xffffffffu, "prandom");
	env.cpu = 3;
	T_CHECK(call(GRAFT_FN_get_smp_processor_id, 0, 0, 0, 0, 0) == 3, "cpu id");
	T_CHECK(call(GRAFT_FN_ktime_get_ns, 0, 0, 0, 0, 0) == 0, "no clock gives 0");
	printf("probe_read: faults, strings, prandom, cpu, clock\n");
}

static void test_tail_and_ringbuf(void)
{
	struct graft_map_def d = { GRAFT_MAP_PROG_ARRAY, 4, 4, 2, 0 };
	struct graft_map *m;
	bool created;
	struct graft_err err;
	graft_registry_get(reg, "pa", &d, 0, false, &m, &created, &err);
	uint64_t h = graft_registry_handle(reg, m);
	reset();
	const struct ebpf_prog *fake = (const struct ebpf_prog *)(uintptr_t)0x1000;
	graft_prog_array_set(m, 1, fake);
	T_CHECK((int64_t)call(GRAFT_FN_tail_call, 0x55, h, 0, 0, 0) == -2 &&
		!x.tail_call, "empty slot: the program goes on");
	T_CHECK((int64_t)call(GRAFT_FN_tail_call, 0x55, h, 7, 0, 0) == -2,
		"index out of range");
	T_CHECK(call(GRAFT_FN_tail_call, 0x55, h, 1, 0, 0) == 0 && x.tail_call == fake &&
		x.tail_ctx == 0x55, "tail call recorded with its context");
	x.tail_call = NULL;
	x.tail_calls = EBPF_MAX_TAIL_CALLS;
	T_CHECK((int64_t)call(GRAFT_FN_tail_call, 0x55, h, 1, 0, 0) == -2 &&
		!x.tail_call, "chain at its bound fails");
	T_CHECK(call(GRAFT_FN_map_lookup_elem, h, U(mem), 0, 0, 0) == 0,
		"prog arrays have no lookup from programs");
	graft_prog_array_set(m, 1, NULL);
	graft_registry_put(reg, m);

	struct graft_map_def rd = { GRAFT_MAP_RINGBUF, 0, 0, 4096, 0 };
	graft_registry_get(reg, "rb", &rd, 0, false, &m, &created, &err);
	h = graft_registry_handle(reg, m);
	reset();
	uint64_t len;
	unsigned perm;
	void *base = graft_map_region(m, &len, &perm);
	ebpf_exec_add_region(&x, base, len, perm);
	uint64_t r = call(GRAFT_FN_ringbuf_reserve, h, 16, 0, 0, 0);
	T_CHECK(r && ebpf_exec_access_ok(&x, r, 16, EBPF_W), "reserve in the region");
	T_CHECK(call(GRAFT_FN_ringbuf_reserve, h, 16, 1, 0, 0) == 0, "flags refused");
	T_CHECK(call(GRAFT_FN_ringbuf_query, h, 0, 0, 0, 0) == 24, "query avail");
	call(GRAFT_FN_ringbuf_submit, r + 8, 0, 0, 0, 0);
	T_CHECK(x.abort && strstr(x.err.msg, "no reserved record"),
		"submit of a wrong pointer stops: %s", x.err.msg);
	call(GRAFT_FN_ringbuf_submit, r, 0, 0, 0, 0);
	T_CHECK(!x.abort, "submit");
	memcpy(mem, "event!!", 8);
	T_CHECK(call(GRAFT_FN_ringbuf_output, h, U(mem), 8, 0, 0) == 0, "output");
	T_CHECK((int64_t)call(GRAFT_FN_ringbuf_output, h, U(mem), 4070, 0, 0) == -11,
		"output into a full ring is -EAGAIN");
	call(GRAFT_FN_ringbuf_discard, r, 0, 0, 0, 0);
	T_CHECK(x.abort, "discard after submit stops");
	graft_registry_put(reg, m);
	printf("tail_call and ringbuf helpers\n");
}

int main(void)
{
	struct graft_err err;
	ntable = graft_helpers_all(table, GRAFT_HELPERS_MAX);
	T_CHECK(ntable > 20, "helper table: %zu entries", ntable);
	T_CHECK(graft_helpers_all(table, 3) == 0, "small table refused");
	ntable = graft_helpers_all(table, GRAFT_HELPERS_MAX);
	if (graft_registry_create(&reg, &A, &err))
		return 1;
	graft_env_init(&env, reg);
	test_ids();
	test_map_helpers();
	test_printk();
	test_probe();
	test_tail_and_ringbuf();
	graft_registry_free(reg);
	return t_done();
}
