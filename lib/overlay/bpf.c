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

static void obj_drop(struct ovl_obj *o)
{
	if (o->obj)
		graft_obj_free(o->obj);
	if (o->elf)
		graft_elf_close(o->elf);
	memset(o, 0, sizeof *o);
}

static const char *base_name(const char *path)
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
	obj_drop(o);
	struct graft_err e = { GRAFT_OK, "" };
	enum graft_status st = graft_elf_open(&o->elf, data, len, &b->alloc, &e);
	b->alloc.free(b->alloc.ud, data);
	if (!st) {
		struct graft_obj_opts lo = {
			.name = base_name(path),
			.helpers = b->helpers,
			.nhelpers = b->nhelpers,
			.flags = b->opts.prog_flags,
		};
		st = graft_obj_load(&o->obj, o->elf, b->reg, &lo, &b->alloc, &e);
	}
	if (st) {
		obj_drop(o);
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
			 base_name(file), line, text ? ": " : "", text ? text : "");
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
	ebpf_exec_init(&b->x);
	if (graft_obj_exec(o->obj, &b->x, &b->env, err))
		return err->status;
	b->x.budget = b->opts.budget;
	for (int i = first; i < argc; i++)
		ovl_parse_u64(argv[i], &b->x.arg[i - first], NULL);
	b->busy = true;
	b->ret_addr = 0;
	uint64_t t0 = ovl_bpf_now(b);
	enum graft_status st = ebpf_prog_run(o->obj->progs[prog], &b->x);
	uint64_t ns = ovl_bpf_now(b) - t0;
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
	ovl_ok(out, "%s: %llu instructions, %llu ns%s", pname,
	       (unsigned long long)b->x.executed, (unsigned long long)ns,
	       b->env.log_len ? "; trace output waiting" : "");
	return GRAFT_OK;
}

/* ---- maps ------------------------------------------------------------ */

/*
 * A map by registry name, or by its name in a loaded object ("NAME" or
 * "OBJ:NAME"), the most recently used object first.
 */
static struct graft_map *find_map(struct ovl_bpf *b, const char *name,
				  struct graft_err *err)
{
	struct graft_map *m = graft_registry_find(b->reg, name);
	if (m)
		return m;
	const char *colon = strchr(name, ':');
	const char *mname = colon ? colon + 1 : name;
	size_t olen = colon ? (size_t)(colon - name) : 0;
	struct ovl_obj *best = NULL;
	struct graft_map *found = NULL;
	for (unsigned i = 0; i < OVL_BPF_MAX_OBJS; i++) {
		struct ovl_obj *o = &b->objs[i];
		if (!o->used || (best && o->last_use < best->last_use))
			continue;
		if (colon && (strncmp(o->path, name, olen) || o->path[olen]) &&
		    (strncmp(base_name(o->path), name, olen) ||
		     base_name(o->path)[olen]))
			continue;
		for (size_t k = 0; k < o->elf->nmaps; k++) {
			if (!strcmp(o->elf->maps[k].name, mname)) {
				best = o;
				found = o->obj->maps[k];
			}
		}
	}
	if (!found)
		graft_errf(err, GRAFT_ENOENT, "no map '%.64s' (see stats)", name);
	return found;
}

static void print_value(struct ovl_out *out, const uint8_t *p, size_t n)
{
	if (n == 1 || n == 2 || n == 4 || n == 8) {
		uint64_t v = 0;
		for (size_t i = 0; i < n; i++)
			v |= (uint64_t)p[i] << (8 * i);
		ovl_printf(out, "%llu", (unsigned long long)v);
		return;
	}
	ovl_printf(out, "hex:");
	for (size_t i = 0; i < n; i++)
		ovl_printf(out, "%02x", p[i]);
}

static enum graft_status map_errno(int rc, const char *map, const char *key,
				   struct graft_err *err)
{
	switch (rc) {
	case GRAFT_E_NOENT:
		return graft_errf(err, GRAFT_ENOENT, "%s: no key %s", map, key);
	case GRAFT_E_2BIG:
	case GRAFT_E_NOSPC:
		return graft_errf(err, GRAFT_ENOMEM, "%s: map is full", map);
	case GRAFT_E_EXIST:
		return graft_errf(err, GRAFT_EEXIST, "%s: key %s exists", map, key);
	default:
		return graft_errf(err, GRAFT_EINVAL, "%s: refused (errno %d)", map,
				  -rc);
	}
}

static enum graft_status map_key(struct graft_map *m, const char *s,
				 uint8_t *key, struct graft_err *err)
{
	const struct graft_map_def *d = graft_map_get_def(m);
	if (d->key_size == 0 || d->key_size > GRAFT_MAP_MAX_KEY)
		return graft_errf(err, GRAFT_ENOTSUP,
				  "map type %u has no keys", d->type);
	return ovl_parse_bytes(s, key, d->key_size, err);
}

static enum graft_status cmd_map_get(void *ud, int argc, char *const *argv,
				     struct ovl_out *out, struct graft_err *err)
{
	struct ovl_bpf *b = ud;
	uint8_t key[GRAFT_MAP_MAX_KEY];
	struct graft_map *m = find_map(b, argv[1], err);
	(void)argc;
	if (!m || map_key(m, argv[2], key, err))
		return err->status;
	const uint8_t *v = graft_map_lookup(m, key);
	if (!v)
		return map_errno(GRAFT_E_NOENT, argv[1], argv[2], err);
	print_value(out, v, graft_map_get_def(m)->value_size);
	ovl_printf(out, "\n");
	return GRAFT_OK;
}

static enum graft_status cmd_map_put(void *ud, int argc, char *const *argv,
				     struct ovl_out *out, struct graft_err *err)
{
	struct ovl_bpf *b = ud;
	uint8_t key[GRAFT_MAP_MAX_KEY], val[256];
	struct graft_map *m = find_map(b, argv[1], err);
	(void)argc, (void)out;
	if (!m || map_key(m, argv[2], key, err))
		return err->status;
	uint32_t vs = graft_map_get_def(m)->value_size;
	if (vs > sizeof val)
		return graft_errf(err, GRAFT_ENOTSUP,
				  "values of %u bytes cannot be typed in", vs);
	if (ovl_parse_bytes(argv[3], val, vs, err))
		return err->status;
	int rc = graft_map_update(m, key, val, GRAFT_ANY);
	return rc ? map_errno(rc, argv[1], argv[2], err) : GRAFT_OK;
}

static enum graft_status cmd_map_del(void *ud, int argc, char *const *argv,
				     struct ovl_out *out, struct graft_err *err)
{
	struct ovl_bpf *b = ud;
	uint8_t key[GRAFT_MAP_MAX_KEY];
	struct graft_map *m = find_map(b, argv[1], err);
	(void)argc, (void)out;
	if (!m || map_key(m, argv[2], key, err))
		return err->status;
	int rc = graft_map_delete(m, key);
	return rc ? map_errno(rc, argv[1], argv[2], err) : GRAFT_OK;
}

struct dump_ctx {
	struct ovl_out *out;
	const struct graft_map_def *def;
	unsigned n;
};

static void dump_one(void *ud, const void *key, const void *value)
{
	struct dump_ctx *d = ud;
	print_value(d->out, key, d->def->key_size);
	ovl_printf(d->out, " = ");
	print_value(d->out, value, d->def->value_size);
	ovl_printf(d->out, "\n");
	d->n++;
}

static enum graft_status cmd_map_dump(void *ud, int argc, char *const *argv,
				      struct ovl_out *out, struct graft_err *err)
{
	struct ovl_bpf *b = ud;
	struct graft_map *m = find_map(b, argv[1], err);
	(void)argc;
	if (!m)
		return err->status;
	struct dump_ctx d = { out, graft_map_get_def(m), 0 };
	if (!d.def->key_size)
		return graft_errf(err, GRAFT_ENOTSUP, "map type %u has no keys",
				  d.def->type);
	graft_map_dump(m, dump_one, &d);
	ovl_ok(out, "%u entries", d.n);
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
		b->nhelpers = graft_helpers_all(b->helpers, cap);
	if (!b->helpers || !b->nhelpers ||
	    graft_registry_create(&b->reg, &b->alloc, err)) {
		ovl_bpf_free(b);
		return err->status ? err->status :
		       graft_errf(err, GRAFT_ENOMEM, "overlay eBPF helpers");
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
		obj_drop(&b->objs[i]);
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
	svc->bpf_map_get = (struct ovl_service){ cmd_map_get, b };
	svc->bpf_map_put = (struct ovl_service){ cmd_map_put, b };
	svc->bpf_map_del = (struct ovl_service){ cmd_map_del, b };
	svc->bpf_map_dump = (struct ovl_service){ cmd_map_dump, b };
	svc->trace = (struct ovl_service){ cmd_trace, b };
	svc->stats = (struct ovl_service){ cmd_stats, b };
}
