/* lib/verify internals: the abstract domain and the verifier's state. */
#ifndef GRAFT_VERIFY_VPRIV_H
#define GRAFT_VERIFY_VPRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "graft/verify.h"

/* Tristate number: bits in mask are unknown, the others equal value's. */
struct tnum {
	uint64_t value, mask;
};

#define TNUM(v, m) ((struct tnum){ (v), (m) })
#define TNUM_UNKNOWN TNUM(0, ~0ull)

struct tnum tnum_const(uint64_t v);
struct tnum tnum_range(uint64_t min, uint64_t max);
bool tnum_is_const(struct tnum a);
struct tnum tnum_add(struct tnum a, struct tnum b);
struct tnum tnum_sub(struct tnum a, struct tnum b);
struct tnum tnum_and(struct tnum a, struct tnum b);
struct tnum tnum_or(struct tnum a, struct tnum b);
struct tnum tnum_xor(struct tnum a, struct tnum b);
struct tnum tnum_mul(struct tnum a, struct tnum b);
struct tnum tnum_lshift(struct tnum a, unsigned s);
struct tnum tnum_rshift(struct tnum a, unsigned s);
struct tnum tnum_arshift(struct tnum a, unsigned s, unsigned width);
struct tnum tnum_intersect(struct tnum a, struct tnum b);
struct tnum tnum_cast(struct tnum a, unsigned bytes);
struct tnum tnum_subreg(struct tnum a);
struct tnum tnum_with_subreg(struct tnum a, struct tnum sub);
bool tnum_in(struct tnum outer, struct tnum inner);
bool tnum_conflict(struct tnum a, struct tnum b);

enum vtype {
	T_NOT_INIT,
	T_SCALAR,
	T_CTX,
	T_STACK,
	T_PKT,
	T_PKT_END,
	T_PKT_META,
	T_MAP_VALUE,
	T_MAP_VALUE_OR_NULL,
	T_MAP_PTR,
	T_MEM,          /* memory from a helper (ringbuf reserve), range bytes */
	T_MEM_OR_NULL,
	T_KOBJ,         /* a kernel object (socket) the kernel describes by a
			   UAPI struct; map holds its enum kobj kind */
	T_KOBJ_OR_NULL,
	T_NTYPES
};

/* Kernel objects of the Linux-compatible program types (T_KOBJ.map). */
enum kobj {
	KOBJ_SOCK_COMMON, /* struct bpf_sock, the fields of sock_common only */
	KOBJ_SOCK,        /* struct bpf_sock (a full socket) */
	KOBJ_TCP_SOCK,    /* struct bpf_tcp_sock */
	KOBJ_XDP_SOCK,    /* struct bpf_xdp_sock (from an xskmap) */
	KOBJ_COUNT
};


struct vreg {
	uint8_t type;      /* enum vtype */
	uint8_t frameno;   /* T_STACK: the frame it points into */
	uint16_t map;      /* map index for map pointers and values */
	int32_t off;       /* fixed offset of a pointer */
	uint32_t id;       /* shared by copies: null checks, packet ranges */
	uint32_t range;    /* T_PKT: readable bytes from ptr-off; T_MEM: size */
	struct tnum var;   /* the value (scalar) or variable offset (pointer) */
	int64_t smin, smax;
	uint64_t umin, umax;
	int32_t s32min, s32max;
	uint32_t u32min, u32max;
};

/* Per-byte stack contents. */
enum { S_INVALID, S_MISC, S_ZERO, S_SPILL };

struct vslot {
	uint8_t t[8];      /* t[i] for byte (slot base + i) */
	uint8_t spill_off; /* spilled register: bytes [off, off + size) */
	uint8_t spill_size;/* 0: none; 8: a whole register */
	struct vreg spill; /* the register (narrow spills: scalars only) */
};

#define NSLOTS (EBPF_STACK_SIZE / 8)

struct vframe {
	struct vreg r[EBPF_NREGS];
	uint32_t callsite;   /* pc of the call that made this frame */
	uint32_t nslots;     /* slots allocated, counted from the top; the
				rest are S_INVALID */
	struct vslot s[];    /* s[k] covers [fp - 8(k+1), fp - 8k) */
};

#define MAX_REFS 8

struct vstate {
	struct vstate *parent;   /* explored state this path came from */
	struct vstate *next;     /* list of explored states at one pc */
	uint32_t pc;
	uint32_t branches;       /* paths still being explored below it */
	uint32_t nframes;
	uint32_t nrefs;          /* acquired ringbuf records not released */
	uint32_t refs[MAX_REFS]; /* their ids */
	struct vframe *f[EBPF_MAX_FRAMES];
};

/* Scalar domain (scalar.c). */
void reg_mark_unknown(struct vreg *r);
void reg_mark_const(struct vreg *r, uint64_t v);
void reg_bounds_sync(struct vreg *r);
bool reg_is_const(const struct vreg *r);
bool reg_bounds_empty(const struct vreg *r);
void reg_zext32(struct vreg *r);
void reg_set_subreg_unknown_bounds(struct vreg *r);
/* dst = dst OP src for scalars; op is the ALU op nibble (code & 0xf0). */
void scalar_alu(struct vreg *dst, const struct vreg *src, unsigned op,
		bool is64, int16_t off);
/* Refine a and b for the branch where `a OP b` holds (op as in JMP code,
 * already negated for the fall-through). Returns false when infeasible. */
bool scalar_refine(struct vreg *a, struct vreg *b, unsigned op, bool is64);
/* Unsigned/signed bounds of the variable part of a pointer; scalar copy. */
void reg_narrow_load(struct vreg *r, unsigned size, bool sx);

/* States (state.c). */
struct vctx;
struct vstate *state_new(struct vctx *v);
struct vstate *state_copy(struct vctx *v, const struct vstate *src);
struct vframe *frame_new(struct vctx *v, uint32_t callsite);
/* Make frame fi of st hold at least nslots slots; false on ENOMEM. */
bool frame_grow(struct vctx *v, struct vstate *st, uint32_t fi,
		uint32_t nslots);
void state_free(struct vctx *v, struct vstate *st);
bool state_subsumes(const struct vstate *old, const struct vstate *cur,
		    bool exact, const uint16_t *relevant);
void reg_format(const struct vreg *r, char *buf, size_t len);
void state_format(const struct vstate *st, char *buf, size_t len);

/* The verification context (one per verify_prog call). */
struct vctx {
	const struct ebpf_insn *insns;
	size_t n;
	const struct verify_opts *o;
	struct verify_result *res;
	struct graft_err *err;
	uint8_t *prune;          /* per pc: a prune point */
	uint8_t *subprog_start;  /* per pc: a local-call target */
	struct vstate **explored;/* per pc: list */
	uint16_t *nexplored;     /* per pc: list length */
	uint16_t *relevant;      /* per pc: registers whose value matters */
	struct vstate *cur;      /* the path being explored (freed at the end) */
	struct vstate **stack;   /* pending branches */
	uint32_t nstack, capstack;
	uint32_t next_id;
	uint64_t nstates;
	enum graft_status status;
	bool ctx_has_pkt;
	bool ptr_leaks_ok;        /* kernel-compatible types: as root */
};

/* Memory and helpers (mem.c, helpers.c). */
enum graft_status check_mem_access(struct vctx *v, struct vstate *st,
				   uint32_t pc, const struct vreg *ptr,
				   int32_t off, unsigned size, bool write,
				   const struct vreg *val, struct vreg *out,
				   bool sx);
enum graft_status check_helper_call(struct vctx *v, struct vstate *st,
				    uint32_t pc, int32_t id);
enum graft_status reject(struct vctx *v, const struct vstate *st,
			 uint32_t pc, int regno, enum graft_status s,
			 const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void vlog(struct vctx *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Program types (progtype.c). */
/* Checks a context access; on a load sets *out. */
enum graft_status ctx_access(struct vctx *v, const struct vstate *st,
			     uint32_t pc, int32_t off, unsigned size,
			     bool write, struct vreg *out);
/* A load or store at off/size of a kernel object; *out: the value. */
enum graft_status kobj_access(struct vctx *v, const struct vstate *st,
			      uint32_t pc, int regno, unsigned kind,
			      int32_t off, unsigned size, bool write,
			      struct vreg *out);
const char *kobj_name(unsigned kind);
bool prog_helper_allowed(enum verify_prog_type t, int32_t id);
/* The range R0 must lie in at exit; false: any scalar (or, where
 * pointers may leak, any value). */
bool prog_ret_range(const struct verify_opts *o, int64_t *min,
		    int64_t *max);

static inline struct vframe *cur_frame(struct vstate *st)
{
	return st->f[st->nframes - 1];
}

#endif
