/*
 * tests/examples.c — every example in examples/bpf/ loaded and run in
 * graft (interpreter, and JIT when the engine has one) with exact expected
 * results; where the kernel's bpf() works, the same object runs there too
 * (libbpf + BPF_PROG_TEST_RUN) and its return values and final map
 * contents must equal graft's. Objects come from $BUILD/examples/bpf.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "graft/elf.h"
#include "testlib.h"

struct xdp_md_ {
	uint32_t data, data_end, data_meta, ingress_ifindex, rx_queue_index,
		egress_ifindex;
};

struct pkt {
	uint32_t len;
	uint8_t b0;
	const uint8_t *frame; /* when set: the whole packet */
};

struct ex {
	const char *obj, *prog;
	bool kernel;            /* the kernel can load it */
	bool kernel_maps;       /* ... and its map contents must equal ours */
	int n;
	struct pkt pkts[8];
	uint64_t r0[8];
	const char *log;        /* graft's expected log, or NULL */
};

static const uint8_t udp9[] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,
	0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
	0x30, 0x39, 0x00, 0x09, 0, 8, 0, 0 };
static const uint8_t udp53[] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,
	0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
	0x30, 0x39, 0x00, 0x35, 0, 8, 0, 0 };
static const uint8_t tcpsyn[] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,
	0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
	0x30, 0x39, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff,
	0, 0, 0, 0 };
static const uint8_t arp[] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x06, 0, 1, 8, 0, 6, 4 };
static const uint8_t shortip[] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00, 0x45, 0, 0, 28 };

#define F(a) { .len = sizeof a, .frame = a }
#define P(l, b) { .len = l, .b0 = b }

static const struct ex examples[] = {
	{ "counter", "count", true, true, 4,
	  { P(64, 1), P(64, 2), P(64, 1), P(64, 1) }, { 1, 1, 2, 3 }, NULL },
	{ "histogram", "histogram", true, true, 4,
	  { P(14, 0), P(64, 0), P(100, 0), P(1500, 0) }, { 3, 6, 6, 10 },
	  NULL },
	{ "globals", "globals", true, true, 2, { P(64, 0), P(100, 0) },
	  { 357, 658 }, NULL },
	{ "strings", "strings", true, true, 2, { P(64, 0), P(100, 0) },
	  { 55, 56 },
	  "hello from graft: 64 bytes\nhex beef, signed -42, char z"
	  "hello from graft: 100 bytes\nhex beef, signed -42, char z" },
	{ "calls", "calls", true, true, 1, { P(64, 0) }, { 4171 }, NULL },
	{ "calls", "calls_frags", true, true, 1, { P(64, 0) }, { 165 }, NULL },
	{ "tailcall", "entry", true, true, 1, { P(64, 0) }, { 123 }, NULL },
	{ "tailcall", "loop", true, true, 1, { P(64, 0) }, { 34 }, NULL },
	{ "queue_stack", "queue_stack", true, true, 1, { P(64, 0) },
	  { 125433 }, NULL },
	{ "ringbuf", "ringbuf", true, true, 3,
	  { P(64, 7), P(65, 8), P(66, 9) }, { 1, 2, 3 }, NULL },
	{ "lru", "lru_touch", true, true, 8,
	  { P(64, 1), P(64, 2), P(64, 3), P(64, 4), P(64, 1), P(64, 5),
	    P(64, 2), P(64, 1) },
	  { 1, 1, 1, 1, 2, 1, 1, 2 }, NULL },
	{ "xdp_parser", "xdp_parser", true, true, 5,
	  { F(udp9), F(udp53), F(tcpsyn), F(arp), F(shortip) },
	  { 1, 2, 2, 2, 0 }, NULL },
	{ "array_select", "array_select", true, true, 4,
	  { P(64, 0), P(65, 0), P(68, 0), P(67, 0) }, { 64, 65, 132, 67 }, NULL },
	{ "probe", "probe", true, true, 1, { P(64, 0) }, { 111111 }, NULL },
	{ "legacy_maps", "legacy", false, false, 3,
	  { P(64, 0), P(65, 0), P(64, 0) }, { 64, 65, 128 }, NULL },
	{ "graft_own", "graft_own", false, false, 2, { P(64, 0), P(80, 0) },
	  { 1, 2 }, "graft_puts from eBPF\nlen=64\ngraft_puts from eBPF\nlen=80\n" },
	{ "pointers", "pointers", false, false, 2, { P(64, 0), P(65, 0) },
	  { 97, 33 }, NULL },
};

static const char *build_dir(void)
{
	const char *b = getenv("BUILD");
	return b && *b ? b : "build";
}

static const struct graft_alloc A = { t_heap_alloc, t_heap_free, NULL };

static uint8_t *low; /* packet and xdp_md below 4 GiB */

static void make_pkt(const struct pkt *p, uint8_t *out)
{
	memset(out, 0, p->len);
	if (p->frame)
		memcpy(out, p->frame, p->len);
	else
		out[0] = p->b0;
}

/* ---- graft side ---- */

struct gside {
	struct graft_elf *elf;
	struct graft_registry *reg;
	struct graft_obj *obj;
	struct graft_env env;
	struct ebpf_exec x;
};

static int graft_open(struct gside *g, const char *obj, unsigned flags)
{
	char path[512];
	snprintf(path, sizeof path, "%s/examples/bpf/%s.o", build_dir(), obj);
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	static uint8_t buf[1 << 20];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	struct graft_err err = { 0 };
	struct graft_obj_opts o = { .name = obj, .flags = flags };
	if (graft_elf_open(&g->elf, buf, n, &A, &err) ||
	    graft_registry_create(&g->reg, &A, &err) ||
	    graft_obj_load(&g->obj, g->elf, g->reg, &o, &A, &err)) {
		if (err.status != GRAFT_ENOTSUP || !(flags & EBPF_F_JIT))
			printf("FAIL %s: load: %s\n", obj, err.msg);
		return err.status == GRAFT_ENOTSUP ? 1 : -1;
	}
	graft_env_init(&g->env, g->reg);
	return 0;
}

static void graft_close(struct gside *g)
{
	graft_obj_free(g->obj);
	graft_registry_free(g->reg);
	graft_elf_close(g->elf);
	memset(g, 0, sizeof *g);
}

static int graft_run(struct gside *g, int prog, const struct pkt *p,
		     uint64_t *r0)
{
	struct xdp_md_ *md = (struct xdp_md_ *)low;
	uint8_t *pk = low + 64;
	make_pkt(p, pk);
	memset(md, 0, sizeof *md);
	md->data = (uint32_t)(uintptr_t)pk;
	md->data_end = (uint32_t)(uintptr_t)(pk + p->len);
	md->data_meta = md->data;
	ebpf_exec_init(&g->x);
	struct graft_err err = { 0 };
	if (graft_obj_exec(g->obj, &g->x, &g->env, &err))
		return -1;
	ebpf_exec_add_region(&g->x, md, sizeof *md, EBPF_R);
	ebpf_exec_add_region(&g->x, pk, p->len, EBPF_RW);
	g->x.arg[0] = (uint64_t)(uintptr_t)md;
	enum graft_status st = ebpf_prog_run(g->obj->progs[prog], &g->x);
	if (st) {
		printf("FAIL run: %s\n", g->x.err.msg);
		return -1;
	}
	*r0 = g->x.r0;
	return 0;
}

/* ---- kernel side ---- */

static bool kernel_ok;

struct kside {
	struct bpf_object *obj;
};

static int kernel_open(struct kside *k, const char *obj)
{
	char path[512];
	snprintf(path, sizeof path, "%s/examples/bpf/%s.o", build_dir(), obj);
	k->obj = bpf_object__open_file(path, NULL);
	if (!k->obj)
		return -1;
	struct bpf_map *m;
	bpf_object__for_each_map(m, k->obj)
		bpf_map__set_pin_path(m, NULL); /* keep bpffs untouched */
	if (bpf_object__load(k->obj)) {
		bpf_object__close(k->obj);
		k->obj = NULL;
		return -1;
	}
	return 0;
}

static int kernel_run(struct kside *k, const char *prog, const struct pkt *p,
		      uint64_t *r0)
{
	struct bpf_program *bp = bpf_object__find_program_by_name(k->obj, prog);
	if (!bp)
		return -1;
	uint8_t pk[2048];
	make_pkt(p, pk);
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pk, .data_size_in = p->len,
		    .repeat = 1);
	if (bpf_prog_test_run_opts(bpf_program__fd(bp), &o))
		return -1;
	*r0 = o.retval;
	return 0;
}

static struct bpf_map *kernel_map(struct kside *k, const char *name)
{
	struct bpf_map *m;
	size_t n = strlen(name);
	bpf_object__for_each_map(m, k->obj) {
		const char *kn = bpf_map__name(m);
		size_t kl = strlen(kn);
		if (!strcmp(kn, name) ||
		    (name[0] == '.' && kl > n && !strcmp(kn + kl - n, name)))
			return m;
	}
	return NULL;
}

struct cmp {
	int fd;
	const struct graft_map_def *d;
	int bad;
	unsigned n;
};

static void cmp_entry(void *ud, const void *key, const void *value)
{
	struct cmp *c = ud;
	uint8_t kv[4096];
	c->n++;
	if (bpf_map_lookup_elem(c->fd, key, kv) ||
	    memcmp(kv, value, c->d->value_size))
		c->bad++;
}

struct rb_rec {
	uint8_t data[64][32];
	uint32_t len[64];
	unsigned n;
};

static int k_rb_cb(void *ctx, void *data, size_t len)
{
	struct rb_rec *r = ctx;
	if (r->n < 64 && len <= 32) {
		memcpy(r->data[r->n], data, len);
		r->len[r->n++] = (uint32_t)len;
	}
	return 0;
}

static int g_rb_cb(void *ctx, const void *data, uint32_t len)
{
	return k_rb_cb(ctx, (void *)data, len);
}

/* Map by map: the kernel's contents must equal graft's. */
static void compare_maps(const char *what, struct gside *g, struct kside *k)
{
	for (size_t i = 0; i < g->elf->nmaps; i++) {
		const char *name = g->elf->maps[i].name;
		struct graft_map *gm = g->obj->maps[i];
		const struct graft_map_def *d = graft_map_get_def(gm);
		struct bpf_map *km = kernel_map(k, name);
		if (!T_CHECK(km, "%s: map %s missing in the kernel", what, name))
			continue;
		int fd = bpf_map__fd(km);
		if (d->type == GRAFT_MAP_PROG_ARRAY)
			continue;
		if (d->type == GRAFT_MAP_QUEUE || d->type == GRAFT_MAP_STACK) {
			uint8_t a[256], b[256];
			int ga, kb;
			do {
				ga = graft_map_pop(gm, a);
				kb = bpf_map_lookup_and_delete_elem(fd, NULL, b);
				T_CHECK((ga == 0) == (kb == 0) &&
					(ga || !memcmp(a, b, d->value_size)),
					"%s: map %s: pop differs", what, name);
			} while (ga == 0 && kb == 0);
			continue;
		}
		if (d->type == GRAFT_MAP_RINGBUF) {
			static struct rb_rec gr, kr;
			memset(&gr, 0, sizeof gr);
			memset(&kr, 0, sizeof kr);
			graft_ringbuf_consume(gm, g_rb_cb, &gr);
			struct ring_buffer *rb = ring_buffer__new(fd, k_rb_cb, &kr, NULL);
			if (rb) {
				ring_buffer__consume(rb);
				ring_buffer__free(rb);
			}
			T_CHECK(gr.n == kr.n && !memcmp(gr.len, kr.len, sizeof gr.len) &&
				!memcmp(gr.data, kr.data, sizeof gr.data),
				"%s: ringbuf %s: graft %u records, kernel %u", what,
				name, gr.n, kr.n);
			continue;
		}
		struct cmp c = { fd, d, 0, 0 };
		graft_map_dump(gm, cmp_entry, &c);
		unsigned kn = 0;
		uint8_t key[512], next[512];
		void *prev = NULL;
		while (!bpf_map_get_next_key(fd, prev, next) && kn < 100000) {
			kn++;
			memcpy(key, next, d->key_size);
			prev = key;
		}
		T_CHECK(!c.bad && c.n == kn,
			"%s: map %s: %d values differ, graft %u entries, kernel %u",
			what, name, c.bad, c.n, kn);
	}
}

static void run_example(const struct ex *e, unsigned flags)
{
	const char *mode = flags & EBPF_F_JIT ? "jit" : "interp";
	struct gside g = { 0 };
	int st = graft_open(&g, e->obj, flags);
	if (st > 0) {
		printf("  %s/%s (%s): skipped, the engine has no JIT\n", e->obj,
		       e->prog, mode);
		return;
	}
	if (!T_CHECK(st == 0, "%s: graft load (%s)", e->obj, mode))
		return;
	int pi = graft_elf_find_prog(g.elf, e->prog);
	uint64_t got[8] = { 0 };
	bool ok = pi >= 0;
	for (int i = 0; ok && i < e->n; i++) {
		ok = graft_run(&g, pi, &e->pkts[i], &got[i]) == 0;
		ok = T_CHECK(ok && got[i] == e->r0[i],
			     "%s/%s (%s) run %d: r0 %llu, want %llu", e->obj,
			     e->prog, mode, i, (unsigned long long)got[i],
			     (unsigned long long)e->r0[i]) && ok;
	}
	if (e->log)
		T_CHECK(!strcmp(g.env.log, e->log), "%s (%s): log \"%s\"", e->obj,
			mode, g.env.log);
	if (!(flags & EBPF_F_JIT) && kernel_ok && e->kernel) {
		struct kside k = { 0 };
		bool kok = T_CHECK(kernel_open(&k, e->obj) == 0,
				   "%s: kernel load: %s", e->obj, strerror(errno));
		for (int i = 0; kok && i < e->n; i++) {
			uint64_t r0 = ~0ull;
			kok = T_CHECK(kernel_run(&k, e->prog, &e->pkts[i], &r0) == 0 &&
				      r0 == got[i],
				      "%s/%s kernel run %d: r0 %llu, graft %llu",
				      e->obj, e->prog, i, (unsigned long long)r0,
				      (unsigned long long)got[i]);
		}
		if (kok && e->kernel_maps)
			compare_maps(e->obj, &g, &k);
		if (k.obj)
			bpf_object__close(k.obj);
	}
	printf("  %s/%s (%s): %d runs checked%s\n", e->obj, e->prog, mode, e->n,
	       !(flags & EBPF_F_JIT) && kernel_ok && e->kernel
		       ? ", same r0 and maps in the kernel" : "");
	graft_close(&g);
}

static int quiet(enum libbpf_print_level l, const char *f, va_list ap)
{
	(void)l, (void)f, (void)ap;
	return 0;
}

int main(void)
{
	low = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (low == MAP_FAILED)
		return printf("FAIL no memory below 4 GiB\n0 passed, 1 failed\n"), 1;
	libbpf_set_print(quiet);
	struct kside probe = { 0 };
	kernel_ok = getenv("GRAFT_NO_KERNEL") == NULL &&
		    kernel_open(&probe, "counter") == 0;
	if (probe.obj)
		bpf_object__close(probe.obj);
	printf("examples: %zu cases; kernel comparison %s\n",
	       sizeof examples / sizeof examples[0],
	       kernel_ok ? "on" : "off (bpf() not usable here)");
	for (size_t i = 0; i < sizeof examples / sizeof examples[0]; i++) {
		run_example(&examples[i], 0);
		run_example(&examples[i], EBPF_F_JIT);
	}
	return t_done();
}
