/*
 * Which programs may take the fast path: verified programs are JIT-compiled
 * and run unchecked (EBPF_F_JIT | EBPF_F_UNCHECKED); the rest run checked
 * (memory checks and the instruction budget, with opts.prog_flags).
 *
 * A program is loaded once per object and may be used by bpf_attach (its
 * context: the traced function's six argument registers, read-only: the
 * verifier's TRACE type) or by bpf_exec (five scalar arguments: EXEC).
 * Running unchecked is only sound for a use it was verified for, so the
 * section decides: SEC("trace...") is verified as TRACE and then may only
 * be attached, SEC("exec...") as EXEC and may only be run by bpf_exec;
 * any other section (e.g. "overlay") must pass both to run unchecked. A
 * program the verifier rejects, or cannot model (the overlay's own
 * helpers, for one), runs checked for every use; bpf_list shows the mode
 * and the verifier's reason.
 */
#include <stdio.h>
#include <string.h>

#include "bpf_internal.h"
#include "graft/verify.h"

#define OVL_VERIFY_BUDGET 16384

static bool verified_as(struct ovl_bpf *b, const struct graft_elf *elf,
			const struct graft_elf_prog *p, struct verify_map *maps,
			enum verify_prog_type type, char *why, size_t cap)
{
	struct verify_opts o = {
		.type = type, .maps = maps, .nmaps = elf->nmaps,
		.alloc = b->alloc,
		/* The console waits (and, on Linux test beds, the traced
		 * application with it): a program that needs a longer proof
		 * just runs checked. */
		.max_insns_processed = OVL_VERIFY_BUDGET,
	};
	struct verify_result res;
	struct graft_err err = { GRAFT_OK, "" };
	if (verify_prog(p->insns, p->ninsns, &o, &res, &err) == GRAFT_OK)
		return true;
	if (!why[0])
		snprintf(why, cap, "%s: %s", verify_prog_type_name(type), err.msg);
	return false;
}

enum graft_status ovl_bpf_classify(struct ovl_bpf *b, struct ovl_obj *o,
				   unsigned *flags, struct graft_err *err)
{
	const struct graft_elf *elf = o->elf;
	size_t n = elf->nprogs ? elf->nprogs : 1;
	o->fast = b->alloc.alloc(b->alloc.ud, n * sizeof *o->fast);
	o->why = b->alloc.alloc(b->alloc.ud, n * sizeof *o->why);
	struct verify_map *maps =
		b->alloc.alloc(b->alloc.ud, (elf->nmaps + 1) * sizeof *maps);
	if (!o->fast || !o->why || !maps) {
		if (maps)
			b->alloc.free(b->alloc.ud, maps);
		return graft_errf(err, GRAFT_ENOMEM, "program modes of %s", o->path);
	}
	memset(o->fast, 0, n * sizeof *o->fast);
	memset(o->why, 0, n * sizeof *o->why);
	for (size_t m = 0; m < elf->nmaps; m++) {
		const struct graft_map_def *d = &elf->maps[m].def;
		maps[m] = (struct verify_map){
			d->type, d->key_size, d->value_size, d->max_entries,
			d->flags & (VERIFY_MAP_F_RDONLY_PROG | VERIFY_MAP_F_WRONLY_PROG) };
	}
	for (size_t i = 0; i < elf->nprogs; i++) {
		const struct graft_elf_prog *p = &elf->progs[i];
		char *why = o->why[i];
		flags[i] = 0;
		if (b->opts.no_verify) {
			snprintf(why, sizeof o->why[i], "verification off");
			continue;
		}
		enum verify_prog_type t = verify_prog_type_from_section(p->section);
		uint8_t uses = t == VERIFY_PROG_TRACE ? OVL_USE_ATTACH :
			       t == VERIFY_PROG_EXEC ? OVL_USE_EXEC :
			       OVL_USE_ATTACH | OVL_USE_EXEC;
		bool ok = true;
		if (uses & OVL_USE_ATTACH)
			ok = verified_as(b, elf, p, maps, VERIFY_PROG_TRACE, why,
					 sizeof o->why[i]);
		if (ok && (uses & OVL_USE_EXEC))
			ok = verified_as(b, elf, p, maps, VERIFY_PROG_EXEC, why,
					 sizeof o->why[i]);
		if (ok) {
			o->fast[i] = uses;
			flags[i] = EBPF_F_JIT | EBPF_F_UNCHECKED;
		}
	}
	b->alloc.free(b->alloc.ud, maps);
	return GRAFT_OK;
}

const char *ovl_bpf_mode(const struct ovl_bpf *b, const struct ovl_obj *o,
			 unsigned prog)
{
	if (o->fast[prog])
		return "verified, JIT unchecked";
	return b->opts.prog_flags & EBPF_F_JIT ? "checked, JIT" :
						 "checked, interpreter";
}
