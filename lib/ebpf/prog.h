/*
 * lib/ebpf/prog.h — the loaded program, shared by the loader, the
 * interpreter and the JIT (internal to lib/ebpf).
 *
 * A loaded program is immutable: one may run on many ebpf_exec at once.
 *
 * Engine contract (interpreter and JIT alike): an engine runs ONE program
 * from pc 0 with r1..r5 = x->arg[0..4] and r10 = the top of x->stack. The
 * budget limit is x->budget (0: EBPF_DEFAULT_BUDGET); x->executed holds
 * what earlier programs of a tail-call chain were charged and the engine
 * adds its own charges to it (checked programs only). The engine sets
 * x->r0 on success; on failure it sets x->err and x->err_pc through the
 * ebpf_fail_* functions below (so both engines word errors identically) and
 * returns the status. After every helper call and callx the engine looks
 * at x->abort (stop with the helper's message, err_pc = the call's pc) and
 * x->tail_call (in frame 0: return GRAFT_OK at once, leaving it set, and
 * ebpf_prog_run starts that program; in a deeper frame: ebpf_fail_tail).
 *
 * Budget runs: run_len[pc] is the number of instructions of the run that
 * starts at pc (see the budget contract in graft/ebpf.h). lddw counts as
 * one instruction; run_len of the second lddw slot is 0 and never used.
 * A program that ends inside a run without an error (a tail call, or an
 * ld_abs/ld_ind out of the packet) gives back run_len[pc + 1], the part of
 * the run it did not execute, so `executed` is exact on success.
 */
#ifndef GRAFT_EBPF_PROG_H
#define GRAFT_EBPF_PROG_H

#include "graft/ebpf.h"

struct ebpf_prog {
	struct graft_alloc alloc;
	unsigned flags;                   /* EBPF_F_* */
	size_t n;                         /* instruction slots */
	struct ebpf_insn *insns;          /* validated copy */
	uint8_t *op;                      /* per pc: enum ebpf_op (COUNT: 2nd lddw slot) */
	uint64_t *imm64;                  /* per pc: lddw value (resolved) */
	uint32_t *run_len;                /* per pc: budget run length */
	const struct ebpf_helper *helpers; /* copy, sorted by ID */
	size_t nhelpers;
	void *interp;                     /* the interpreter's pre-decoded form */
	void *jit_code;
	size_t jit_size;
	enum graft_status (*jit_run)(const struct ebpf_prog *,
				     struct ebpf_exec *);
	/* Set for JIT code that cannot fail, stop early or tail-call (see
	 * jit_x86_64.c): ebpf_prog_run calls it with x and stores r0. */
	ebpf_direct_fn jit_direct;
};

/* ebpf_validate that also stores each pc's decoded op in ops[] (n bytes;
 * EBPF_OP_COUNT for second lddw slots), so the load decodes only once. */
enum graft_status ebpf_validate_ops(const struct ebpf_insn *insns, size_t n,
				    const struct ebpf_load_opts *opts,
				    uint8_t *ops, struct graft_err *err);

/* The helper with this ID, or NULL (binary search of p->helpers). */
ebpf_helper_fn ebpf_prog_helper(const struct ebpf_prog *p, uint32_t id);

/* The budget limit of this execution (x->budget, or the default). */
static inline uint64_t ebpf_budget_limit(const struct ebpf_exec *x)
{
	return x->budget ? x->budget : EBPF_DEFAULT_BUDGET;
}

/*
 * Exact memory check for checked programs: [addr, addr+size) lies inside
 * the live stack [stack_lo, top of x->stack) or inside one region with
 * perm. stack_lo is the bottom of the current frame.
 */
bool ebpf_mem_ok(const struct ebpf_exec *x, uint64_t stack_lo, uint64_t addr,
		 uint64_t size, unsigned perm);

/* Record a failure in x (err, err_pc) and return its status. */
enum graft_status ebpf_fail_budget(struct ebpf_exec *x, uint32_t pc);
enum graft_status ebpf_fail_access(struct ebpf_exec *x, uint32_t pc,
				   uint64_t addr, unsigned size, bool store);
enum graft_status ebpf_fail_depth(struct ebpf_exec *x, uint32_t pc);
enum graft_status ebpf_fail_callx(struct ebpf_exec *x, uint32_t pc,
				  uint64_t id);
enum graft_status ebpf_fail_tail(struct ebpf_exec *x, uint32_t pc);
/* After a helper set x->abort: keep its message, set err_pc. */
enum graft_status ebpf_fail_helper(struct ebpf_exec *x, uint32_t pc);

/* The interpreter (interp.c). */
enum graft_status ebpf_interp_prepare(struct ebpf_prog *p,
				      struct graft_err *err);
void ebpf_interp_release(struct ebpf_prog *p);
enum graft_status ebpf_interp_run(const struct ebpf_prog *p,
				  struct ebpf_exec *x);

#endif
