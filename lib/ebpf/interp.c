/*
 * The interpreter: pre-decoding and the two compiled variants of the body
 * (interp_body.h), checked and unchecked.
 *
 * Pre-decoding turns each instruction into a slot holding its handler's
 * address (computed goto on GCC/Clang; its number in the switch fallback),
 * its registers, its sign-extended immediate or resolved lddw value or
 * helper function, its branch displacement in bytes, and the length of
 * the budget run that starts at it. The checked body charges a run when it
 * enters one (at pc 0, a jump, a local call and its return), so there is
 * no per-instruction counter; memory accesses check the live stack frames
 * first, then a one-region cache per direction, then every region.
 */
#include <string.h>

#include "prog.h"

#if defined(__GNUC__) && !defined(GRAFT_INTERP_SWITCH)
#define INTERP_GOTO 1
#else
#define INTERP_GOTO 0
#endif

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the interpreter assumes a little-endian host"
#endif

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

struct ebpf_slot {
	uintptr_t h;    /* handler label address, or number (switch) */
	uint8_t dst;
	uint8_t src;
	int16_t off;
	uint32_t run;   /* budget run length starting here */
	union {
		int64_t imm;             /* sign-extended imm */
		uint64_t u;              /* lddw value */
		ebpf_helper_fn fn;       /* call */
		struct {
			int32_t imm32;   /* conditional jump's imm */
			int32_t disp;    /* bytes from this slot to the target */
		} j;
	};
};

/* The handler number of the second lddw slot, which never runs. */
#define EBPF_OP_LDDW_HI EBPF_OP_COUNT
/*
 * Fused pairs, chosen at pre-decode: clang widens 32-bit values with
 * `lsh rX, 32; rsh rX, 32` (or arsh). The first slot does both and skips
 * the second; a jump to the second still finds its own handler there. ALU
 * ops cannot fail and budget runs are charged per run, so fusing changes
 * neither results nor `executed`.
 */
#define EBPF_OP_ZEXT32 (EBPF_OP_COUNT + 1)
#define EBPF_OP_SEXT32 (EBPF_OP_COUNT + 2)
#define EBPF_NHANDLERS (EBPF_OP_COUNT + 3)

/* One cached region per direction: [lo, lo + lim + 8) is allowed. */
struct memcache {
	uint64_t r_lo, r_lim, w_lo, w_lim;
};

/* The exact check, after the fast ones missed; refills the cache. */
static __attribute__((noinline)) bool
mem_slow(const struct ebpf_exec *x, struct memcache *mc, uint64_t stk_lo,
	 uint64_t a, unsigned size, unsigned perm)
{
	uint64_t top = (uint64_t)(uintptr_t)(x->stack + sizeof x->stack);
	if (a >= stk_lo && a <= top - size)
		return true;
	for (unsigned i = 0; i < x->nregion && i < EBPF_MAX_REGIONS; i++) {
		const struct ebpf_region *r = &x->region[i];
		if ((r->perm & perm) != perm || a < r->addr ||
		    a - r->addr > r->len || size > r->len - (a - r->addr))
			continue;
		if (r->len >= 8 && perm == EBPF_R) {
			mc->r_lo = r->addr;
			mc->r_lim = r->len - 8;
		} else if (r->len >= 8 && perm == EBPF_W) {
			mc->w_lo = r->addr;
			mc->w_lim = r->len - 8;
		}
		return true;
	}
	return false;
}

/* Atomic read-modify-write; returns the old value. Misaligned addresses
 * (x86 would split-lock) are done without atomicity. */
#define EBPF_AMO(NAME, T)                                                    \
	static inline T NAME(uint64_t a, T v, T expect, int op)              \
	{                                                                     \
		T *m = (T *)(uintptr_t)a, old, nw;                            \
		if (LIKELY((a & (sizeof(T) - 1)) == 0)) {                     \
			switch (op & ~EBPF_ATOMIC_FETCH) {                    \
			case EBPF_ATOMIC_ADD:                                 \
				return __atomic_fetch_add(m, v, __ATOMIC_SEQ_CST); \
			case EBPF_ATOMIC_OR:                                  \
				return __atomic_fetch_or(m, v, __ATOMIC_SEQ_CST); \
			case EBPF_ATOMIC_AND:                                 \
				return __atomic_fetch_and(m, v, __ATOMIC_SEQ_CST); \
			case EBPF_ATOMIC_XOR:                                 \
				return __atomic_fetch_xor(m, v, __ATOMIC_SEQ_CST); \
			case EBPF_ATOMIC_XCHG & ~EBPF_ATOMIC_FETCH:           \
				return __atomic_exchange_n(m, v, __ATOMIC_SEQ_CST); \
			default:                                              \
				__atomic_compare_exchange_n(m, &expect, v, false, \
							    __ATOMIC_SEQ_CST, \
							    __ATOMIC_SEQ_CST); \
				return expect;                                \
			}                                                     \
		}                                                             \
		memcpy(&old, m, sizeof old);                                  \
		switch (op & ~EBPF_ATOMIC_FETCH) {                            \
		case EBPF_ATOMIC_ADD: nw = old + v; break;                    \
		case EBPF_ATOMIC_OR: nw = old | v; break;                     \
		case EBPF_ATOMIC_AND: nw = old & v; break;                    \
		case EBPF_ATOMIC_XOR: nw = old ^ v; break;                    \
		case EBPF_ATOMIC_XCHG & ~EBPF_ATOMIC_FETCH: nw = v; break;    \
		default: nw = old == expect ? v : old; break;                 \
		}                                                             \
		memcpy(m, &nw, sizeof nw);                                    \
		return old;                                                   \
	}
EBPF_AMO(amo32, uint32_t)
EBPF_AMO(amo64, uint64_t)

static inline uint64_t load_be(const uint8_t *p, unsigned size)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v = v << 8 | p[i];
	return v;
}

#define INTERP_CHECKED 1
#define INTERP_NAME interp_checked
#include "interp_body.h"
#undef INTERP_CHECKED
#undef INTERP_NAME

#define INTERP_CHECKED 0
#define INTERP_NAME interp_unchecked
#include "interp_body.h"
#undef INTERP_CHECKED
#undef INTERP_NAME

enum graft_status ebpf_interp_run(const struct ebpf_prog *p,
				  struct ebpf_exec *x)
{
	if (p->flags & EBPF_F_UNCHECKED)
		return interp_unchecked(p, x, NULL);
	return interp_checked(p, x, NULL);
}

/* The fused handler for the pair starting at pc, or 0. */
static unsigned fuse(const struct ebpf_prog *p, size_t pc)
{
	if (pc + 1 >= p->n)
		return 0;
	const struct ebpf_insn *a = &p->insns[pc], *b = &p->insns[pc + 1];
	if (a->code != 0x67 || a->imm != 32 || b->imm != 32 ||
	    b->dst != a->dst || b->off || b->src)
		return 0;
	if (b->code == 0x77)
		return EBPF_OP_ZEXT32;
	if (b->code == 0xc7)
		return EBPF_OP_SEXT32;
	return 0;
}

enum graft_status ebpf_interp_prepare(struct ebpf_prog *p,
				      struct graft_err *err)
{
	if (p->n > INT32_MAX / sizeof(struct ebpf_slot))
		return graft_errf(err, GRAFT_ENOMEM,
				  "program of %zu instructions is too large for the interpreter",
				  p->n);
	struct ebpf_slot *s = p->alloc.alloc(p->alloc.ud, p->n * sizeof *s);
	if (!s)
		return graft_errf(err, GRAFT_ENOMEM, "out of memory");
	memset(s, 0, p->n * sizeof *s);
	p->interp = s;
	const void *const *tbl = NULL;
	if (p->flags & EBPF_F_UNCHECKED)
		interp_unchecked(NULL, NULL, &tbl);
	else
		interp_checked(NULL, NULL, &tbl);
	for (size_t pc = 0; pc < p->n; pc++) {
		const struct ebpf_insn *in = &p->insns[pc];
		struct ebpf_slot *o = &s[pc];
		unsigned op = p->op[pc];
		if (!p->run_len[pc])
			op = EBPF_OP_LDDW_HI; /* only second lddw slots have no run */
		o->h = INTERP_GOTO ? (uintptr_t)tbl[op] : (uintptr_t)op;
		o->dst = in->dst;
		o->src = in->src;
		o->off = in->off;
		o->run = p->run_len[pc];
		if (op == EBPF_OP_LDDW_HI)
			continue;
		unsigned fused = fuse(p, pc);
		if (fused)
			o->h = INTERP_GOTO ? (uintptr_t)tbl[fused] : (uintptr_t)fused;
		int64_t disp = (int64_t)sizeof *s;
		switch (ebpf_opinfo[op].fmt) {
		case EBPF_FMT_JA:
		case EBPF_FMT_JCOND_REG:
		case EBPF_FMT_JCOND_IMM:
			o->j.imm32 = in->imm;
			o->j.disp = (int32_t)(disp * (1 + in->off));
			break;
		case EBPF_FMT_JA32:
		case EBPF_FMT_CALL_LOCAL:
			o->j.disp = (int32_t)(disp * (1 + (int64_t)in->imm));
			break;
		case EBPF_FMT_CALL:
			o->fn = ebpf_prog_helper(p, (uint32_t)in->imm);
			break;
		case EBPF_FMT_LDDW:
			o->u = p->imm64[pc];
			break;
		default:
			o->imm = in->imm;
			break;
		}
	}
	return GRAFT_OK;
}

void ebpf_interp_release(struct ebpf_prog *p)
{
	if (p->interp)
		p->alloc.free(p->alloc.ud, p->interp);
	p->interp = NULL;
}
