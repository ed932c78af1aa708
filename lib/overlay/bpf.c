/*
 * The overlay's eBPF services over graft's loader, maps and interpreter:
 * objects cached by path and content hash (a second bpf_exec of the same
 * file reuses the loaded object and so keeps its maps' contents), one-shot
 * runs, map commands, the trace_printk ring and stats. A failing program
 * ends with its error on the console; nothing else is affected.
 */
#include <stdio.h>
#include <string.h>

#include "bpf_internal.h"
#include "hash.h"

uint64_t ovl_bpf_now(struct ovl_bpf *b)
{
	return b->opts.host.now_ns ? b->opts.host.now_ns(b->opts.host.ud) : 0;
}

static void obj_drop(struct ovl_bpf *b, struct ovl_obj *o)
{
	if (o->fast)
		b->alloc.free(b->alloc.ud, o->fast);
	if (o->why)
		b->alloc.free(b->alloc.ud, o->why);
	if (o->obj)
		graft_obj_free(o->obj);
	if (o->elf)
		graft_elf_close(o->elf);
	memset(o, 0, sizeof *o);
}

const char *ovl_base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* A slot for a new object: free, else the least recently used idle one. */
static struct ovl_obj *obj_slot(struct ovl_bpf *b, const char *path)
{
	struct ovl_obj *best = NULL;
	for (unsigned i = 0; i < OVL_BPF_MAX_OBJS; i++) {
		struct ovl_obj *o = &b->objs[i];
		if (!o->used)
			return o;
		/* Same file with new contents: the old one goes, if idle. */
		if (!o->refs && !strcmp(o->path, path))
			return o;
		if (!o->refs && (!best || o->last_use < best->last_use))
			best = o;
	}
	return best;
}

enum graft_status ovl_bpf_get_obj(struct ovl_bpf *b, const char *path,
				  unsigned *slot, struct graft_err *err)
{
	void *data = NULL;
	size_t len = 0;
	if (strlen(path) >= sizeof b->objs[0].path)
		return graft_errf(err, GRAFT_EINVAL, "path too long: %.64s...",
				  path);
	if (!b->opts.host.read_file)
		return graft_errf(err, GRAFT_ENOTSUP, "no file access here");
	if (b->opts.host.read_file(b->opts.host.ud, path, &b->alloc, &data,
				   &len, err))
		return err->status;
	uint64_t h = ovl_hash64(data, len);
	for (unsigned i = 0; i < OVL_BPF_MAX_OBJS; i++) {
		struct ovl_obj *o = &b->objs[i];
		if (o->used && o->hash == h && o->size == len &&
		    !strcmp(o->path, path)) {
			b->alloc.free(b->alloc.ud, data);
			o->last_use = ++b->clock;
			*slot = i;
			return GRAFT_OK;
		}
	}
	struct ovl_obj *o = obj_slot(b, path);
	if (!o) {
		b->alloc.free(b->alloc.ud, data);
		return graft_errf(err, GRAFT_ENOMEM,
				  "all %d object slots hold attached programs",
				  OVL_BPF_MAX_OBJS);
	}
	obj_drop(b, o);
	struct graft_err e = { GRAFT_OK, "" };
	enum graft_status st = graft_elf_open(&o->elf, data, len, &b->alloc, &e);
	b->alloc.free(b->alloc.ud, data);
	unsigned *pflags = NULL;
	if (!st) {
		size_t np = o->elf->nprogs ? o->elf->nprogs : 1;
		pflags = b->alloc.alloc(b->alloc.ud, np * sizeof *pflags);
		st = pflags ? ovl_bpf_classify(b, o, pflags, &e) :
		     graft_errf(&e, GRAFT_ENOMEM, "no memory");
	}
	if (!st) {
		struct graft_obj_opts lo = {
			.name = ovl_base_name(path),
			.helpers = b->helpers,
			.nhelpers = b->nhelpers,
			.flags = b->opts.prog_flags,
			.prog_flags = pflags,
		};
		st = graft_obj_load(&o->obj, o->elf, b->reg, &lo, &b->alloc, &e);
	}
	if (pflags)
		b->alloc.free(b->alloc.ud, pflags);
	if (st) {
		obj_drop(b, o);
		return graft_errf(err, st, "%s: %s", path, e.msg);
	}
	o->used = true;
	snprintf(o->path, sizeof o->path, "%s", path);
	o->hash = h;
	o->size = len;
	o->last_use = ++b->clock;
	*slot = (unsigned)(o - b->objs);
	return GRAFT_OK;
}

enum graft_status ovl_bpf_find_prog(struct ovl_bpf *b, unsigned slot,
				    const char *name, unsigned *prog,
				    struct graft_err *err)
{
	const struct graft_elf *elf = b->objs[slot].elf;
	if (!elf->nprogs)
		return graft_errf(err, GRAFT_ENOENT, "%s has no programs",
				  b->objs[slot].path);
	if (!name) {
		*prog = 0;
		return GRAFT_OK;
	}
	int i = graft_elf_find_prog(elf, name);
	if (i >= 0) {
		*prog = (unsigned)i;
		return GRAFT_OK;
	}
	char have[160] = "";
	size_t n = 0;
	for (size_t k = 0; k < elf->nprogs && n < sizeof have; k++)
		n += (size_t)snprintf(have + n, sizeof have - n, "%s%s",
				      k ? ", " : "", elf->progs[k].name);
	return graft_errf(err, GRAFT_ENOENT, "no program '%.64s' in %s (it has %s)",
			  name, b->objs[slot].path, have);
}

/* The error of a failed run, with the C source line when BTF knows it. */
static void run_error(struct ovl_bpf *b, unsigned slot, unsigned prog,
		      char *buf, size_t cap)
{
	const char *file = NULL, *text = NULL;
	uint32_t line = 0;
	int n = snprintf(buf, cap, "%s", b->x.err.msg);
	if (n > 0 && (size_t)n < cap &&
	    graft_elf_line(b->objs[slot].elf, prog, b->x.err_pc, &file, &line,
			   &text) && file) {
		if (text)
			text += strspn(text, " \t");
		snprintf(buf + n, cap - (size_t)n, " (%s:%u%s%.60s)",
			 ovl_base_name(file), line, text ? ": " : "", text ? text : "");
	}
}

static enum graft_status cmd_exec(void *ud, int argc, char *const *argv,
				  struct ovl_out *out, struct graft_err *err)
{
	struct ovl_bpf *b = ud;
	unsigned slot, prog;
	int first = 2;
	const char *name = NULL;
	if (argc > 2 && !ovl_is_number(argv[2])) {
		name = argv[2];
		first = 3;
	}
	if (b->busy)
		return graft_errf(err, GRAFT_EEXIST, "a program is running");
	if (ovl_bpf_get_obj(b, argv[1], &slot, err) ||
	    ovl_bpf_find_prog(b, slot, name, &prog, err))
		return err->status;
	struct ovl_obj *o = &b->objs[slot];
	if (o->fast[prog] == OVL_USE_ATTACH)
		return graft_errf(err, GRAFT_EPERM,
				  "%s was verified as a trace program (section %s) "
				  "and runs unchecked: attach it with bpf_attach",
				  o->elf->progs[prog].name, o->elf->progs[prog].section);
	ebpf_exec_init(&b->x);
	if (graft_obj_exec(o->obj, &b->x, &b->env, err))
		return err->status;
	b->x.budget = b->opts.budget;
	for (int i = first; i < argc; i++)
		ovl_parse_u64(argv[i], &b->x.arg[i - first], NULL);
	b->busy = true;
	b->ret_addr = 0;
	b->out = out;
	uint64_t t0 = ovl_bpf_now(b);
	enum graft_status st = ebpf_prog_run(o->obj->progs[prog], &b->x);
	uint64_t ns = ovl_bpf_now(b) - t0;
	b->out = NULL;
	b->busy = false;
	b->runs++;
	const char *pname = o->elf->progs[prog].name;
	if (st) {
		char why[GRAFT_ERR_MSG];
		b->run_errors++;
		run_error(b, slot, prog, why, sizeof why);
		return graft_errf(err, st, "%s %s stopped: %s", o->path, pname,
				  why);
	}
	ovl_printf(out, "r0 = %llu (0x%llx)\n", (unsigned long long)b->x.r0,
		   (unsigned long long)b->x.r0);
	ovl_ok(out, "%s: %llu instructions, %llu ns%s%s", pname,
	       (unsigned long long)b->x.executed, (unsigned long long)ns,
	       o->fast[prog] ? " (verified, JIT unchecked)" : "",
	       b->env.log_len ? "; trace output waiting" : "");
	return GRAFT_OK;
}

/* ---- trace and stats ----------------------------------------------- */

static enum graft_status cmd_trace(void *ud, int argc, char *const *argv,
				   struct ovl_out *out, struct graft_err *err)
{
	struct ovl_bpf *b = ud;
	char buf[512];
	size_t total = 0, n;
	(void)argv, (void)err;
	uint32_t dropped = b->env.log_dropped;
	while ((n = graft_env_take_log(&b->env, buf, sizeof buf)) > 0) {
		if (argc == 1)
			ovl_write(out, buf, n);
		total += n;
	}
	b->env.log_dropped = 0;
	ovl_ok(out, "%zu bytes%s%s", total, argc == 1 ? "" : " dropped",
	       dropped ? " (the ring overflowed: older output lost)" : "");
	return GRAFT_OK;
}

static enum graft_status cmd_stats(void *ud, int argc, char *const *argv,
				   struct ovl_out *out, struct graft_err *err)
{
	struct ovl_bpf *b = ud;
	if (b->prev_stats.fn &&
	    b->prev_stats.fn(b->prev_stats.ud, argc, argv, out, err))
		return err->status;
	unsigned nobj = 0, nmaps = 0, natt = 0;
	for (unsigned i = 0; i < OVL_BPF_MAX_OBJS; i++)
		nobj += b->objs[i].used;
	for (unsigned i = 0; i < GRAFT_REGISTRY_MAX; i++)
		nmaps += graft_registry_at(b->reg, i, NULL, NULL) != NULL;
	for (unsigned i = 0; i < OVL_BPF_MAX_ATTACH; i++)
		natt += b->att[i].used;
	ovl_printf(out, "ebpf: %u objects cached (of %d), %u maps, %u attached, "
		   "%llu runs (%llu failed), %s\n", nobj, OVL_BPF_MAX_OBJS, nmaps,
		   natt, (unsigned long long)b->runs,
		   (unsigned long long)b->run_errors,
		   b->opts.prog_flags & EBPF_F_JIT ? "JIT" : "interpreter");
	for (unsigned i = 0; i < OVL_BPF_MAX_OBJS; i++) {
		struct ovl_obj *o = &b->objs[i];
		if (!o->used)
			continue;
		ovl_printf(out, "  %s: %zu programs, %zu maps, %llu bytes\n",
			   o->path, o->elf->nprogs, o->elf->nmaps,
			   (unsigned long long)o->size);
	}
	for (unsigned i = 0; i < GRAFT_REGISTRY_MAX; i++) {
		const char *name = NULL;
		bool pinned = false;
		struct graft_map *m = graft_registry_at(b->reg, i, &name, &pinned);
		if (!m)
			continue;
		const struct graft_map_def *d = graft_map_get_def(m);
		ovl_printf(out, "  map %s: type %u, key %u, value %u, %u/%u entries%s\n",
			   name, d->type, d->key_size, d->value_size,
			   graft_map_count(m), d->max_entries,
			   pinned ? ", pinned" : "");
	}
	return GRAFT_OK;
}

/* ---- life cycle ---------------------------------------------------- */

enum graft_status ovl_bpf_create(struct ovl_bpf **out,
				 const struct ovl_bpf_opts *opts,
				 struct graft_err *err)
{
	*out = NULL;
	struct ovl_bpf *b = opts->alloc.alloc(opts->alloc.ud, sizeof *b);
	if (!b)
		return graft_errf(err, GRAFT_ENOMEM, "overlay eBPF state");
	memset(b, 0, sizeof *b);
	b->opts = *opts;
	b->alloc = opts->alloc;
	b->next_id = 1;
	size_t cap = 256;
	b->helpers = b->alloc.alloc(b->alloc.ud, cap * sizeof *b->helpers);
	if (b->helpers)
		b->nhelpers = graft_helpers_all(b->helpers, cap - ovl_nhelpers);
	if (b->nhelpers) {
		memcpy(b->helpers + b->nhelpers, ovl_helpers,
		       ovl_nhelpers * sizeof *b->helpers);
		b->nhelpers += ovl_nhelpers;
	}
	if (!b->helpers || !b->nhelpers ||
	    graft_registry_create(&b->reg, &b->alloc, err)) {
		ovl_bpf_free(b);
		return err->status ? err->status :
		       graft_errf(err, GRAFT_ENOMEM, "overlay eBPF helpers");
	}
	ovl_bpf_wrap_printk(b);
	const struct graft_map_def kv = { GRAFT_MAP_HASH, 16, 8, 4096, 0 };
	bool created;
	if (graft_registry_get(b->reg, OVL_KV_MAP, &kv, GRAFT_PIN_BY_NAME, false,
			       &b->kv, &created, err)) {
		ovl_bpf_free(b);
		return err->status;
	}
	graft_env_init(&b->env, b->reg);
	b->env.now_ns = opts->host.now_ns;
	b->env.now_ud = opts->host.ud;
	b->env.app = b;
	*out = b;
	return GRAFT_OK;
}

void ovl_bpf_free(struct ovl_bpf *b)
{
	if (!b)
		return;
	for (unsigned i = 0; i < OVL_BPF_MAX_ATTACH; i++) {
		struct ovl_attach *a = &b->att[i];
		struct ovl_site *s = &b->sites[a->site];
		if (a->used && s->used && b->opts.host.hook && --s->nprogs == 0)
			b->opts.host.hook(b->opts.host.ud, s->addr, a->site, false,
					  NULL);
	}
	for (unsigned i = 0; i < OVL_BPF_MAX_OBJS; i++)
		obj_drop(b, &b->objs[i]);
	if (b->kv)
		graft_registry_put(b->reg, b->kv);
	if (b->reg)
		graft_registry_free(b->reg);
	if (b->helpers)
		b->alloc.free(b->alloc.ud, b->helpers);
	b->alloc.free(b->alloc.ud, b);
}

void ovl_bpf_services(struct ovl_bpf *b, struct ovl_services *svc)
{
	b->prev_stats = svc->stats;
	svc->bpf_exec = (struct ovl_service){ cmd_exec, b };
	svc->bpf_attach = (struct ovl_service){ ovl_bpf_attach_cmd, b };
	svc->bpf_detach = (struct ovl_service){ ovl_bpf_detach_cmd, b };
	svc->bpf_list = (struct ovl_service){ ovl_bpf_list_cmd, b };
	svc->bpf_map_get = (struct ovl_service){ ovl_bpf_map_get, b };
	svc->bpf_map_put = (struct ovl_service){ ovl_bpf_map_put, b };
	svc->bpf_map_del = (struct ovl_service){ ovl_bpf_map_del, b };
	svc->bpf_map_dump = (struct ovl_service){ ovl_bpf_map_dump, b };
	svc->trace = (struct ovl_service){ cmd_trace, b };
	svc->stats = (struct ovl_service){ cmd_stats, b };
}
