/*
 * graft run OBJ [PROG] [--ctx FILE] [--jit] [--maps] [--repeat N] — load an
 * ELF object (tools/cmd_run.c hands ELF files here) and run one program.
 * XDP programs (section "xdp...") get FILE as the packet behind a struct
 * xdp_md, which holds 32-bit addresses, so the packet and the context live
 * in the low 4 GiB; other programs get FILE's bytes in r1 and the length
 * in r2. Prints r0, the trace_printk/graft_puts log and, with --maps, every
 * map of the object with its contents and the ring buffers' records.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "cli.h"
#include "graft/elf.h"

int run_object(int argc, char **argv);

struct xdp_md_ {
	uint32_t data, data_end, data_meta, ingress_ifindex, rx_queue_index,
		egress_ifindex;
};

static uint64_t now_ns(void *ud)
{
	(void)ud;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void hex(const void *p, uint32_t n)
{
	const uint8_t *b = p;
	for (uint32_t i = 0; i < n; i++)
		printf("%02x", b[i]);
}

struct dump_ctx {
	const struct graft_map_def *d;
	unsigned shown;
};

static void dump_one(void *ud, const void *key, const void *value)
{
	struct dump_ctx *c = ud;
	if (c->shown++ >= 64) {
		if (c->shown == 65)
			printf("    ...\n");
		return;
	}
	printf("    ");
	if (key) {
		hex(key, c->d->key_size);
		printf(" -> ");
	}
	hex(value, c->d->value_size);
	if (c->d->value_size == 8) {
		uint64_t v;
		memcpy(&v, value, 8);
		printf(" (%llu)", (unsigned long long)v);
	} else if (c->d->value_size == 4) {
		uint32_t v;
		memcpy(&v, value, 4);
		printf(" (%u)", v);
	}
	putchar('\n');
}

static int print_record(void *ud, const void *data, uint32_t len)
{
	(void)ud;
	printf("    record %u bytes: ", len);
	hex(data, len > 64 ? 64 : len);
	putchar('\n');
	return 0;
}

static void dump_maps(const struct graft_obj *o)
{
	for (size_t i = 0; i < o->elf->nmaps; i++) {
		struct graft_map *m = o->maps[i];
		const struct graft_map_def *d = graft_map_get_def(m);
		printf("map %s (type %u, %u entries in use)\n", o->elf->maps[i].name,
		       d->type, graft_map_count(m));
		struct dump_ctx c = { d, 0 };
		if (d->type == GRAFT_MAP_RINGBUF)
			graft_ringbuf_consume(m, print_record, NULL);
		else if (d->type == GRAFT_MAP_PROG_ARRAY) {
			for (uint32_t k = 0; k < d->max_entries; k++)
				if (graft_prog_array_get(m, k))
					printf("    %u -> program\n", k);
		} else
			graft_map_dump(m, dump_one, &c);
	}
}

static void *low_alloc(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

int run_object(int argc, char **argv)
{
	const char *path = NULL, *prog = NULL, *ctxfile = NULL;
	bool jit = false, maps = false;
	long repeat = 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--ctx") && i + 1 < argc)
			ctxfile = argv[++i];
		else if (!strcmp(argv[i], "--jit"))
			jit = true;
		else if (!strcmp(argv[i], "--maps"))
			maps = true;
		else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
			repeat = strtol(argv[++i], NULL, 0);
		else if (argv[i][0] == '-')
			return cli_error("run: unknown option %s", argv[i]), EXIT_USAGE;
		else if (!path)
			path = argv[i];
		else if (!prog)
			prog = argv[i];
		else
			return cli_error("run: too many arguments"), EXIT_USAGE;
	}
	if (!path || repeat < 1)
		return cli_error("usage: graft run OBJ [PROG] [--ctx FILE] [--jit] "
				 "[--maps] [--repeat N]"), EXIT_USAGE;
	struct graft_err err = { 0 };
	struct graft_alloc a = cli_alloc();
	size_t len, ctxlen = 0;
	char *buf = cli_read_file(path, &len, &err), *ctx = NULL;
	if (!buf)
		return cli_error("%s", err.msg);
	if (ctxfile && !(ctx = cli_read_file(ctxfile, &ctxlen, &err))) {
		free(buf);
		return cli_error("%s", err.msg);
	}
	int rc = EXIT_FAIL;
	struct graft_elf *e = NULL;
	struct graft_registry *reg = NULL;
	struct graft_obj *o = NULL;
	struct graft_env *env = calloc(1, sizeof *env);
	struct ebpf_exec *x = aligned_alloc(16, sizeof *x);
	uint8_t *low = NULL;
	size_t lowlen = 0;
	if (!env || !x) {
		cli_error("out of memory");
		goto out;
	}
	if (graft_elf_open(&e, buf, len, &a, &err) ||
	    graft_registry_create(&reg, &a, &err)) {
		cli_error("%s: %s", path, err.msg);
		goto out;
	}
	struct graft_obj_opts opts = { .name = "run", .flags = jit ? EBPF_F_JIT : 0 };
	if (graft_obj_load(&o, e, reg, &opts, &a, &err)) {
		cli_error("%s: %s: %s", path, graft_status_name(err.status), err.msg);
		goto out;
	}
	int pi = prog ? graft_elf_find_prog(e, prog) : (e->nprogs ? 0 : -1);
	if (pi < 0) {
		cli_error("%s: no program %s", path, prog ? prog : "at all");
		goto out;
	}
	graft_env_init(env, reg);
	env->now_ns = now_ns;
	bool xdp = !strncmp(e->progs[pi].section, "xdp", 3);
	uint64_t pktlen = ctxfile ? ctxlen : (xdp ? 64 : 0);
	lowlen = sizeof(struct xdp_md_) + pktlen + 64;
	if (!(low = low_alloc(lowlen))) {
		cli_error("cannot map memory below 4 GiB for the context");
		goto out;
	}
	for (long r = 0; r < repeat; r++) {
		struct xdp_md_ *md = (struct xdp_md_ *)low;
		uint8_t *pkt = low + 64;
		memset(low, 0, lowlen);
		if (ctx)
			memcpy(pkt, ctx, ctxlen);
		ebpf_exec_init(x);
		if (graft_obj_exec(o, x, env, &err)) {
			cli_error("%s", err.msg);
			goto out;
		}
		if (xdp) {
			md->data = (uint32_t)(uintptr_t)pkt;
			md->data_end = (uint32_t)(uintptr_t)(pkt + pktlen);
			md->data_meta = md->data;
			ebpf_exec_add_region(x, md, sizeof *md, EBPF_R);
			ebpf_exec_add_region(x, pkt, pktlen, EBPF_RW);
			x->arg[0] = (uint64_t)(uintptr_t)md;
		} else {
			ebpf_exec_add_region(x, pkt, pktlen, EBPF_RW);
			x->arg[0] = (uint64_t)(uintptr_t)pkt;
			x->arg[1] = pktlen;
		}
		x->pkt = pkt;
		x->pkt_len = pktlen;
		enum graft_status st = ebpf_prog_run(o->progs[pi], x);
		char log[GRAFT_LOG_SIZE];
		if (graft_env_take_log(env, log, sizeof log))
			printf("%s%s", log, log[strlen(log) - 1] == '\n' ? "" : "\n");
		if (st) {
			const char *file, *text;
			uint32_t line;
			cli_error("%s: %s: %s", e->progs[pi].name,
				  graft_status_name(st), x->err.msg);
			if (graft_elf_line(e, (size_t)pi,
					   graft_obj_source_pc(o, (size_t)pi, x->err_pc),
					   &file, &line, &text))
				fprintf(stderr, "  at %s:%u: %s\n", file, line, text);
			goto out;
		}
		printf("r0 = %llu (0x%llx), %llu instructions\n",
		       (unsigned long long)x->r0, (unsigned long long)x->r0,
		       (unsigned long long)x->executed);
	}
	if (maps)
		dump_maps(o);
	rc = EXIT_OK;
out:
	if (low)
		munmap(low, lowlen);
	graft_obj_free(o);
	graft_registry_free(reg);
	graft_elf_close(e);
	free(env);
	free(x);
	free(buf);
	free(ctx);
	return rc;
}
