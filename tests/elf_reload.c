/*
 * tests/elf_reload.c — map state across a live program swap, through one
 * registry: load counter.o (A), count, load counter_v2.o (A': same pinned
 * map definition, new code) — the counts are still there and A' adds to
 * them; unload A — the map lives on; counter_resized.o (changed
 * definition) is refused with the documented error unless replacing is
 * asked for. Also: BTF line info names source lines, and the loader's
 * program/map/relocation view of the examples.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "graft/elf.h"
#include "testlib.h"

static const struct graft_alloc A = { t_heap_alloc, t_heap_free, NULL };
static struct graft_registry *reg;
static uint8_t *low;

static struct graft_elf *open_obj(const char *name)
{
	const char *b = getenv("BUILD");
	char path[512];
	snprintf(path, sizeof path, "%s/examples/bpf/%s.o", b && *b ? b : "build",
		 name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	static uint8_t buf[1 << 20];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	struct graft_elf *e = NULL;
	struct graft_err err = { 0 };
	if (graft_elf_open(&e, buf, n, &A, &err))
		printf("FAIL open %s: %s\n", name, err.msg);
	return e;
}

/* Run program 0 on a 64-byte packet whose first byte is b0. */
static uint64_t run(struct graft_obj *o, uint8_t b0)
{
	static struct ebpf_exec x;
	static struct graft_env env;
	uint32_t *md = (uint32_t *)low;
	uint8_t *pk = low + 64;
	memset(low, 0, 128);
	pk[0] = b0;
	md[0] = (uint32_t)(uintptr_t)pk;
	md[1] = (uint32_t)(uintptr_t)(pk + 64);
	graft_env_init(&env, reg);
	ebpf_exec_init(&x);
	struct graft_err err = { 0 };
	graft_obj_exec(o, &x, &env, &err);
	ebpf_exec_add_region(&x, md, 24, EBPF_R);
	ebpf_exec_add_region(&x, pk, 64, EBPF_RW);
	x.arg[0] = (uint64_t)(uintptr_t)md;
	if (ebpf_prog_run(o->progs[0], &x))
		printf("FAIL run: %s\n", x.err.msg);
	return x.r0;
}

static uint64_t count_of(uint32_t key)
{
	struct graft_map *m = graft_registry_find(reg, "counts");
	uint64_t *v = m ? graft_map_lookup(m, &key) : NULL;
	return v ? *v : 0;
}

static void test_reload(void)
{
	struct graft_err err = { 0 };
	struct graft_elf *ea = open_obj("counter"), *eb = open_obj("counter_v2"),
			 *ec = open_obj("counter_resized");
	if (!T_CHECK(ea && eb && ec, "objects present"))
		return;
	struct graft_obj *a = NULL, *b = NULL, *c = NULL;
	struct graft_obj_opts o = { .name = "A" };
	T_CHECK(graft_obj_load(&a, ea, reg, &o, &A, &err) == 0, "load A: %s", err.msg);
	run(a, 1);
	run(a, 1);
	T_CHECK(run(a, 1) == 3 && count_of(1) == 3, "A counted 3");
	o.name = "A2";
	T_CHECK(graft_obj_load(&b, eb, reg, &o, &A, &err) == 0, "load A': %s",
		err.msg);
	T_CHECK(b && b->map_reused[0], "A' reuses the pinned map");
	T_CHECK(count_of(1) == 3, "counts survive the reload");
	T_CHECK(run(b, 1) == 13, "A' adds 10 to A's count");
	graft_obj_free(a);
	T_CHECK(count_of(1) == 13 && run(b, 2) == 10, "A unloaded, map lives on");
	o.name = "A3";
	enum graft_status st = graft_obj_load(&c, ec, reg, &o, &A, &err);
	T_CHECK(st == GRAFT_EEXIST && strstr(err.msg, "map 'counts' is pinned") &&
		strstr(err.msg, "entries 64") && strstr(err.msg, "entries 128"),
		"changed definition refused: %s", err.msg);
	o.replace_maps = true;
	T_CHECK(graft_obj_load(&c, ec, reg, &o, &A, &err) == 0 && !c->map_reused[0],
		"replace: %s", err.msg);
	T_CHECK(count_of(1) == 0 && run(c, 0) == 1,
		"the pinned map is now the new, empty one");
	T_CHECK(run(b, 1) == 23, "A' keeps its old map after the replace");
	graft_obj_free(b);
	graft_obj_free(c);
	T_CHECK(graft_registry_find(reg, "counts") != NULL, "still pinned");
	graft_registry_unpin(reg, "counts", &err);
	T_CHECK(graft_registry_find(reg, "counts") == NULL, "unpinned and freed");
	graft_elf_close(ea);
	graft_elf_close(eb);
	graft_elf_close(ec);
	printf("reload: pinned counts survive A -> A'; changed definition "
	       "refused, replace on request\n");
}

static void test_lines(void)
{
	struct graft_elf *e = open_obj("calls");
	if (!e)
		return;
	const char *file, *text;
	uint32_t line;
	int p = graft_elf_find_prog(e, "calls");
	T_CHECK(p >= 0 && graft_elf_line(e, (size_t)p, 0, &file, &line, &text) &&
		strstr(file, "calls.c") && line == 18 && strstr(text, "PKT_LEN"),
		"calls pc 0 is calls.c:18");
	/* The linked subprogram maps back to its own source line. */
	const struct graft_elf_prog *g = &e->progs[p];
	uint32_t sq = 0;
	for (size_t k = 0; k < g->npieces; k++)
		if (!strcmp(g->pieces[k].func, "square"))
			sq = g->pieces[k].pc;
	T_CHECK(sq && graft_elf_line(e, (size_t)p, sq + 1, &file, &line, &text) &&
		line == 7 && strstr(text, "x * x"),
		"square's second pc is calls.c:7 (got %u)", line);
	T_CHECK(!graft_elf_line(e, (size_t)p, 100000, &file, &line, &text),
		"no line past the end");
	graft_elf_close(e);
	printf("lines: BTF line_info names source lines of programs and "
	       "subprograms\n");
}

static void test_view(void)
{
	struct graft_elf *e = open_obj("calls");
	if (e) {
		T_CHECK(e->nprogs == 2 && !strcmp(e->license, "GPL"), "calls: 2 programs");
		const struct graft_elf_prog *g = &e->progs[graft_elf_find_prog(e, "calls")];
		T_CHECK(g->npieces == 3, "calls links square and add3 once each");
		/* every local call lands on a function start inside the program */
		unsigned bad = 0;
		for (size_t i = 0; i < g->ninsns; i++) {
			if (g->insns[i].code != 0x85 || g->insns[i].src != 1)
				continue;
			int64_t t = (int64_t)i + g->insns[i].imm + 1;
			bool ok = false;
			for (size_t k = 0; k < g->npieces; k++)
				ok |= t == g->pieces[k].pc;
			bad += !ok;
		}
		T_CHECK(bad == 0, "calls re-aimed at the linked copies");
		graft_elf_close(e);
	}
	e = open_obj("tailcall");
	if (e) {
		T_CHECK(e->nprogs == 4 && e->nmaps == 2, "tailcall: 4 programs, 2 maps");
		T_CHECK(e->maps[0].def.type == GRAFT_MAP_PROG_ARRAY &&
			e->maps[0].ninit_progs == 3, "jump has 3 static entries");
		graft_elf_close(e);
	}
	e = open_obj("globals");
	if (e) {
		T_CHECK(e->nmaps == 3 && e->maps[0].def.flags == GRAFT_F_RDONLY_PROG &&
			e->maps[0].init && *(uint32_t *)e->maps[0].init == 3,
			".rodata is a read-only array holding scale = 3");
		graft_elf_close(e);
	}
	e = open_obj("queue_stack");
	if (e) {
		T_CHECK(e->nmaps == 2 && e->maps[0].def.key_size == 0 &&
			e->maps[0].def.value_size == 4 && e->maps[0].def.max_entries == 8,
			"queue definition from BTF");
		graft_elf_close(e);
	}
	printf("view: programs, linking, prog array initializers, data maps\n");
}

static unsigned lookups_left(struct graft_obj *o)
{
	size_t n;
	const struct ebpf_insn *in = ebpf_prog_insns(o->progs[0], &n);
	unsigned calls = 0;
	for (size_t i = 0; i < n; i++)
		calls += in[i].code == 0x85 && in[i].src == 0 && in[i].imm == 1;
	return calls;
}

static void test_inline(void)
{
	struct graft_elf *e = open_obj("array_select");
	if (!e)
		return;
	struct graft_err err = { 0 };
	struct graft_obj *a = NULL, *b = NULL;
	struct graft_obj_opts o = { .name = "in" };
	T_CHECK(graft_obj_load(&a, e, reg, &o, &A, &err) == 0, "load: %s", err.msg);
	o.name = "out";
	o.no_inline = true;
	T_CHECK(graft_obj_load(&b, e, reg, &o, &A, &err) == 0, "load: %s", err.msg);
	if (a && b) {
		T_CHECK(lookups_left(a) == 1,
			"two fixed-map lookups inlined, the joined one kept (%u)",
			lookups_left(a));
		T_CHECK(lookups_left(b) == 3, "no_inline keeps all three");
		uint32_t *m = (uint32_t *)low;
		uint8_t *pk = low + 64;
		uint64_t r[2];
		struct graft_obj *objs[2] = { a, b };
		for (int k = 0; k < 2; k++) {
			static struct ebpf_exec x;
			static struct graft_env env;
			graft_env_init(&env, reg);
			ebpf_exec_init(&x);
			memset(low, 0, 256);
			m[0] = (uint32_t)(uintptr_t)pk;
			m[1] = (uint32_t)(uintptr_t)(pk + 67);
			graft_obj_exec(objs[k], &x, &env, &err);
			ebpf_exec_add_region(&x, m, 24, EBPF_R);
			ebpf_exec_add_region(&x, pk, 67, EBPF_RW);
			x.arg[0] = (uint64_t)(uintptr_t)m;
			ebpf_prog_run(objs[k]->progs[0], &x);
			r[k] = x.r0;
		}
		T_CHECK(r[0] == 67 && r[1] == 67, "same result inlined or not");
		/* a pc after the rewrite still names its source line */
		size_t n;
		ebpf_prog_insns(a->progs[0], &n);
		const char *file, *text;
		uint32_t line;
		T_CHECK(graft_elf_line(e, 0, graft_obj_source_pc(a, 0, (uint32_t)n - 1),
				       &file, &line, &text) && strstr(file, "array_select.c"),
			"last pc maps back to array_select.c");
	}
	graft_obj_free(a);
	graft_obj_free(b);
	graft_elf_close(e);
	printf("inline: array lookups of a known map inlined, results unchanged\n");
}

int main(void)
{
	low = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	struct graft_err err = { 0 };
	if (low == MAP_FAILED || graft_registry_create(&reg, &A, &err))
		return printf("FAIL setup\n0 passed, 1 failed\n"), 1;
	test_reload();
	test_lines();
	test_view();
	test_inline();
	graft_registry_free(reg);
	return t_done();
}
