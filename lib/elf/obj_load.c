/*
 * graft_obj_load: an object's maps are created (or reused when pinned)
 * through the registry, the data sections' initial bytes and pointers are
 * written into maps it created, each program is loaded with the map
 * references resolved to registry handles (EBPF_PSEUDO_MAP_IDX) or to
 * addresses inside a map's value (EBPF_PSEUDO_MAP_IDX_VALUE), and program
 * arrays get their static initializers.
 */
#include <stdio.h>

#include "elf_internal.h"

struct resolve {
	const struct graft_obj *obj;
};

static enum graft_status resolve(void *ud, const struct ebpf_insn pair[2],
				 uint64_t *value, struct graft_err *err)
{
	const struct graft_obj *o = ((struct resolve *)ud)->obj;
	uint32_t mi = (uint32_t)pair[0].imm;
	if (mi >= o->elf->nmaps)
		return graft_errf(err, GRAFT_EINVAL,
				  "lddw refers to map %u of %zu", mi,
				  o->elf->nmaps);
	struct graft_map *m = o->maps[mi];
	if (pair[0].src == EBPF_PSEUDO_MAP_IDX) {
		*value = graft_registry_handle(o->reg, m);
		return GRAFT_OK;
	}
	if (pair[0].src == EBPF_PSEUDO_MAP_IDX_VALUE) {
		const struct graft_map_def *d = graft_map_get_def(m);
		uint64_t len;
		unsigned perm;
		uint8_t *base = graft_map_region(m, &len, &perm);
		uint32_t off = (uint32_t)pair[1].imm;
		if (d->type != GRAFT_MAP_ARRAY || !base || off >= d->value_size)
			return graft_errf(err, GRAFT_EINVAL,
					  "lddw of map %s value offset %u: not "
					  "inside an array value",
					  o->elf->maps[mi].name, off);
		*value = (uint64_t)(uintptr_t)(base + off);
		return GRAFT_OK;
	}
	return graft_errf(err, GRAFT_ENOTSUP, "lddw with src %u not supported",
			  pair[0].src);
}

static enum graft_status fail(struct graft_obj *o, enum graft_status st)
{
	graft_obj_free(o);
	return st;
}

enum graft_status graft_obj_load(struct graft_obj **out,
				 const struct graft_elf *elf,
				 struct graft_registry *reg,
				 const struct graft_obj_opts *opts,
				 const struct graft_alloc *alloc,
				 struct graft_err *err)
{
	*out = NULL;
	struct graft_obj_opts none = { 0 };
	if (!opts)
		opts = &none;
	struct graft_obj *o = alloc->alloc(alloc->ud, sizeof *o);
	if (!o)
		return graft_errf(err, GRAFT_ENOMEM, "out of memory");
	memset(o, 0, sizeof *o);
	o->elf = elf;
	o->reg = reg;
	o->alloc = *alloc;
	size_t nm = elf->nmaps + 1, npg = elf->nprogs + 1;
	o->maps = alloc->alloc(alloc->ud, nm * sizeof *o->maps);
	o->map_reused = alloc->alloc(alloc->ud, nm * sizeof *o->map_reused);
	o->progs = alloc->alloc(alloc->ud, npg * sizeof *o->progs);
	o->orig_pc = alloc->alloc(alloc->ud, npg * sizeof *o->orig_pc);
	if (!o->maps || !o->map_reused || !o->progs || !o->orig_pc)
		return fail(o, graft_errf(err, GRAFT_ENOMEM, "out of memory"));
	memset(o->maps, 0, nm * sizeof *o->maps);
	memset(o->progs, 0, npg * sizeof *o->progs);
	memset(o->orig_pc, 0, npg * sizeof *o->orig_pc);
	const char *oname = opts->name ? opts->name : "obj";
	for (size_t i = 0; i < elf->nmaps; i++) {
		const struct graft_elf_map *em = &elf->maps[i];
		char name[GRAFT_MAP_NAME];
		if (em->pinning)
			snprintf(name, sizeof name, "%s", em->name);
		else
			snprintf(name, sizeof name, "%.30s:%.30s", oname, em->name);
		bool created;
		enum graft_status st = graft_registry_get(
			reg, name, &em->def, em->pinning, opts->replace_maps,
			&o->maps[i], &created, err);
		if (st)
			return fail(o, st);
		o->map_reused[i] = !created;
		if (created && em->init)
			memcpy(graft_map_lookup(o->maps[i], &(uint32_t){ 0 }),
			       em->init, em->def.value_size);
	}
	for (size_t i = 0; i < elf->ndatarels; i++) {
		const struct graft_elf_datarel *r = &elf->datarels[i];
		if (o->map_reused[r->map])
			continue;
		uint8_t *dst = graft_map_lookup(o->maps[r->map], &(uint32_t){ 0 });
		uint8_t *tgt = graft_map_lookup(o->maps[r->target], &(uint32_t){ 0 });
		uint64_t v = (uint64_t)(uintptr_t)(tgt + r->target_off);
		memcpy(dst + r->offset, &v, 8);
	}
	struct ebpf_helper table[GRAFT_HELPERS_MAX];
	struct ebpf_load_opts lo = {
		.helpers = opts->helpers, .nhelpers = opts->nhelpers,
		.max_insns = opts->max_insns, .flags = opts->flags,
		.resolve_ld64 = resolve, .alloc = *alloc,
	};
	if (!lo.helpers) {
		lo.nhelpers = graft_helpers_all(table, GRAFT_HELPERS_MAX);
		lo.helpers = table;
	}
	struct resolve rs = { o };
	lo.resolve_ud = &rs;
	for (size_t i = 0; i < elf->nprogs; i++) {
		const struct graft_elf_prog *g = &elf->progs[i];
		struct ebpf_insn *rw = NULL;
		size_t nrw = 0;
		enum graft_status st = opts->no_inline ? GRAFT_OK :
			obj_inline_lookups(o, g->insns, g->ninsns, &rw, &nrw,
					   &o->orig_pc[i], err);
		if (st)
			return fail(o, st);
		lo.flags = opts->flags | (opts->prog_flags ? opts->prog_flags[i] : 0);
		st = ebpf_prog_load(&o->progs[i], rw ? rw : g->insns,
				    rw ? nrw : g->ninsns, &lo, err);
		if (rw)
			alloc->free(alloc->ud, rw);
		if (st) {
			char why[GRAFT_ERR_MSG];
			snprintf(why, sizeof why, "%s", err ? err->msg : "");
			const char *file = NULL, *text = NULL;
			uint32_t line = 0, pc = 0;
			if (sscanf(why, "pc %u", &pc) == 1 &&
			    graft_elf_line(elf, i, graft_obj_source_pc(o, i, pc),
					   &file, &line, &text))
				return fail(o, graft_errf(err, st,
					"program %s (section %s): %s [%s:%u: %.60s]",
					g->name, g->section, why, file, line,
					text ? text : ""));
			return fail(o, graft_errf(err, st,
				"program %s (section %s): %s", g->name,
				g->section, why));
		}
	}
	for (size_t i = 0; i < elf->nmaps; i++) {
		const struct graft_elf_map *em = &elf->maps[i];
		for (uint32_t k = 0; k < em->ninit_progs; k++)
			graft_prog_array_set(o->maps[i], em->init_slot[k],
					     o->progs[em->init_prog[k]]);
	}
	*out = o;
	return GRAFT_OK;
}

void graft_obj_free(struct graft_obj *o)
{
	if (!o)
		return;
	const struct graft_elf *elf = o->elf;
	/* Empty the program arrays first: a pinned one outlives us. */
	for (size_t i = 0; o->maps && i < elf->nmaps; i++) {
		if (!o->maps[i] ||
		    graft_map_get_def(o->maps[i])->type != GRAFT_MAP_PROG_ARRAY)
			continue;
		for (uint32_t k = 0; k < graft_map_get_def(o->maps[i])->max_entries; k++)
			for (size_t g = 0; g < elf->nprogs; g++)
				if (o->progs && o->progs[g] &&
				    graft_prog_array_get(o->maps[i], k) == o->progs[g])
					graft_prog_array_set(o->maps[i], k, NULL);
	}
	for (size_t i = 0; o->progs && i < elf->nprogs; i++)
		if (o->progs[i])
			ebpf_prog_free(o->progs[i]);
	for (size_t i = 0; o->maps && i < elf->nmaps; i++)
		if (o->maps[i])
			graft_registry_put(o->reg, o->maps[i]);
	struct graft_alloc a = o->alloc;
	if (o->maps)
		a.free(a.ud, o->maps);
	if (o->map_reused)
		a.free(a.ud, o->map_reused);
	if (o->progs)
		a.free(a.ud, o->progs);
	for (size_t i = 0; o->orig_pc && i < elf->nprogs; i++)
		if (o->orig_pc[i])
			a.free(a.ud, o->orig_pc[i]);
	if (o->orig_pc)
		a.free(a.ud, o->orig_pc);
	a.free(a.ud, o);
}

uint32_t graft_obj_source_pc(const struct graft_obj *o, size_t prog,
			     uint32_t pc)
{
	if (prog >= o->elf->nprogs || !o->orig_pc[prog] || !o->progs[prog])
		return pc;
	size_t n;
	ebpf_prog_insns(o->progs[prog], &n);
	return pc < n ? o->orig_pc[prog][pc] : pc;
}

enum graft_status graft_obj_exec(const struct graft_obj *o,
				 struct ebpf_exec *x, struct graft_env *env,
				 struct graft_err *err)
{
	x->user = env;
	for (size_t i = 0; i < o->elf->nmaps; i++) {
		uint64_t len;
		unsigned perm;
		void *base = graft_map_region(o->maps[i], &len, &perm);
		if (!base)
			continue;
		if (ebpf_exec_add_region(x, base, len, perm))
			return graft_errf(err, GRAFT_ENOMEM,
					  "map %s: no region left (the limit is %d)",
					  o->elf->maps[i].name, EBPF_MAX_REGIONS);
	}
	return GRAFT_OK;
}
