/* Internal to lib/overlay: the eBPF services' state (bpf.c, attach.c). */
#ifndef GRAFT_OVERLAY_BPF_INTERNAL_H
#define GRAFT_OVERLAY_BPF_INTERNAL_H

#include "graft/ebpf.h"
#include "graft/elf.h"
#include "graft/maps.h"
#include "graft/overlay.h"

/* A loaded object, cached by path and content hash. */
struct ovl_obj {
	bool used;
	char path[128];
	uint64_t hash, size;
	uint64_t last_use;       /* for eviction: older goes first */
	unsigned refs;           /* attachments using it */
	struct graft_elf *elf;
	struct graft_obj *obj;
	/* per program: OVL_USE_* it was verified for (and so runs unchecked,
	 * JIT-compiled); 0: checked. why: the verifier's reason when 0. */
	uint8_t *fast;
	char (*why)[112];
};

enum { OVL_USE_ATTACH = 1, OVL_USE_EXEC = 2 };

/*
 * A function being traced: its entry is hooked while nprogs > 0; list
 * holds its attachments' indexes in attach order, so a traced call visits
 * only its own.
 */
struct ovl_site {
	bool used;
	char symbol[64];
	uint64_t addr;
	unsigned nprogs;
	uint8_t list[OVL_BPF_MAX_ATTACH];
};

/* Run time is sampled on one hit in OVL_BPF_SAMPLE: reading a clock twice
 * per call would cost more than a small program. */
#define OVL_BPF_SAMPLE 256

struct ovl_attach {
	bool used;
	uint32_t id;             /* what bpf_detach ID names; never reused */
	uint32_t site;
	uint32_t obj, prog;      /* indexes into objs[] and its programs */
	const struct ebpf_prog *run; /* objs[obj].obj->progs[prog] */
	bool fast;               /* verified: JIT, unchecked */
	uint64_t hits, errors, missed;
	uint64_t sampled, sampled_ns;
	char last_error[96];
	/* the program's map regions, found once at attach time */
	struct ebpf_region region[EBPF_MAX_REGIONS];
	unsigned nregion;
};

struct ovl_bpf {
	struct ovl_bpf_opts opts;
	struct graft_alloc alloc;
	struct graft_registry *reg;
	struct graft_env env;
	struct ebpf_helper *helpers;
	size_t nhelpers;
	uint64_t clock;          /* use counter for the object cache */
	uint64_t runs, run_errors;
	struct ovl_obj objs[OVL_BPF_MAX_OBJS];
	struct ovl_site sites[OVL_BPF_MAX_SITES];
	struct ovl_attach att[OVL_BPF_MAX_ATTACH];
	uint32_t next_id;
	bool busy;               /* a program is running: no re-entry */
	uint64_t ret_addr;       /* of the traced call being run */
	struct ovl_out *out;     /* of the bpf_exec running, for overlay_puts */
	struct graft_map *kv;    /* the two-key store, pinned as "overlay" */
	ebpf_helper_fn printk;   /* the runtime's trace_printk, wrapped */
	struct ovl_service prev_stats;
	struct ebpf_exec x;      /* big (its stack): kept off thread stacks */
	/* traced calls' own exec, and the attachment it is set up for (NULL
	 * after any attach or detach: a slot may come back with new maps) */
	struct ebpf_exec tx;
	const struct ovl_attach *tx_for;
};

/* Load (or find in the cache) the object at path; *slot is its index. */
enum graft_status ovl_bpf_get_obj(struct ovl_bpf *b, const char *path,
				  unsigned *slot, struct graft_err *err);
/* Index of a program of an object by name, or its first without one. */
enum graft_status ovl_bpf_find_prog(struct ovl_bpf *b, unsigned slot,
				    const char *name, unsigned *prog,
				    struct graft_err *err);
uint64_t ovl_bpf_now(struct ovl_bpf *b);
/* Verify o's programs (fastpath.c): fill o->fast, o->why and the EBPF_F_*
 * each is to be loaded with (flags: one per program). */
enum graft_status ovl_bpf_classify(struct ovl_bpf *b, struct ovl_obj *o,
				   unsigned *flags, struct graft_err *err);
/* "verified, JIT unchecked" or "checked, ..." */
const char *ovl_bpf_mode(const struct ovl_bpf *b, const struct ovl_obj *o,
			 unsigned prog);

/* The overlay's own helpers (helpers.c). */
extern const struct ebpf_helper ovl_helpers[];
extern const size_t ovl_nhelpers;
/* Wrap trace_printk in b->helpers so each record ends with a newline. */
void ovl_bpf_wrap_printk(struct ovl_bpf *b);

enum graft_status ovl_bpf_attach_cmd(void *ud, int argc, char *const *argv,
				     struct ovl_out *out,
				     struct graft_err *err);
enum graft_status ovl_bpf_detach_cmd(void *ud, int argc, char *const *argv,
				     struct ovl_out *out,
				     struct graft_err *err);
enum graft_status ovl_bpf_map_get(void *ud, int argc, char *const *argv,
				  struct ovl_out *out, struct graft_err *err);
enum graft_status ovl_bpf_map_put(void *ud, int argc, char *const *argv,
				  struct ovl_out *out, struct graft_err *err);
enum graft_status ovl_bpf_map_del(void *ud, int argc, char *const *argv,
				  struct ovl_out *out, struct graft_err *err);
enum graft_status ovl_bpf_map_dump(void *ud, int argc, char *const *argv,
				   struct ovl_out *out, struct graft_err *err);
/* The base name of a path (after the last '/'). */
const char *ovl_base_name(const char *path);
enum graft_status ovl_bpf_list_cmd(void *ud, int argc, char *const *argv,
				   struct ovl_out *out, struct graft_err *err);

#endif
