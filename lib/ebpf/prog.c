/*
 * Loading a program (validate, copy, resolve lddw, compute budget runs,
 * pre-decode, JIT) and running it, tail-call chains included.
 */
#include <string.h>

#include "jit.h"
#include "prog.h"

static void *zalloc(const struct graft_alloc *a, size_t size)
{
	void *p = a->alloc(a->ud, size ? size : 1);
	if (p)
		memset(p, 0, size);
	return p;
}

ebpf_helper_fn ebpf_prog_helper(const struct ebpf_prog *p, uint32_t id)
{
	size_t lo = 0, hi = p->nhelpers;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint32_t m = p->helpers[mid].id;
		if (m == id)
			return p->helpers[mid].fn;
		if (m < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Sorted copy of the helper table (insertion sort: tables are small). */
static enum graft_status copy_helpers(struct ebpf_prog *p,
				      const struct ebpf_load_opts *o,
				      struct graft_err *err)
{
	struct ebpf_helper *h = zalloc(&p->alloc, o->nhelpers * sizeof *h);
	if (!h)
		return graft_errf(err, GRAFT_ENOMEM, "out of memory");
	p->helpers = h;
	for (size_t i = 0; i < o->nhelpers; i++) {
		struct ebpf_helper v = o->helpers[i];
		if (!v.fn)
			return graft_errf(err, GRAFT_EINVAL,
					  "helper %u (%s) has no function", v.id,
					  v.name ? v.name : "?");
		size_t j = i;
		while (j > 0 && h[j - 1].id > v.id) {
			h[j] = h[j - 1];
			j--;
		}
		if (j > 0 && h[j - 1].id == v.id)
			return graft_errf(err, GRAFT_EINVAL,
					  "helper ID %u is registered twice", v.id);
		h[j] = v;
	}
	p->nhelpers = o->nhelpers;
	return GRAFT_OK;
}

static bool ends_run(const struct ebpf_insn *in)
{
	uint8_t cls = EBPF_CLASS(in->code);
	if (cls != EBPF_CLS_JMP && cls != EBPF_CLS_JMP32)
		return false;
	/* Helper calls and callx do not end a run; local calls do. */
	if (in->code == 0x85)
		return in->src == EBPF_CALL_LOCAL;
	return in->code != 0x8d;
}

/* imm64 per lddw and the length of the budget run starting at each pc. */
static enum graft_status resolve(struct ebpf_prog *p,
				 const struct ebpf_load_opts *o,
				 struct graft_err *err)
{
	const struct ebpf_insn *in = p->insns;
	for (size_t pc = 0; pc < p->n; pc++) {
		if (in[pc].code != 0x18)
			continue;
		uint64_t v = (uint64_t)(uint32_t)in[pc].imm |
			     (uint64_t)(uint32_t)in[pc + 1].imm << 32;
		if (in[pc].src) {
			struct graft_err e = { 0 };
			enum graft_status st =
				o->resolve_ld64(o->resolve_ud, &in[pc], &v, &e);
			if (st)
				return graft_errf(err, st, "pc %zu: lddw: %s", pc,
						  e.msg[0] ? e.msg : "not resolved");
		}
		p->imm64[pc] = v;
		pc++;
	}
	/* Second lddw slots are never run starts: mark them, then walk
	 * backwards (a run extends to the first jump, local call or exit). */
	for (size_t pc = 0; pc < p->n; pc++)
		if (in[pc].code == 0x18)
			p->run_len[++pc] = UINT32_MAX;
	for (size_t k = p->n; k-- > 0;) {
		if (p->run_len[k] == UINT32_MAX)
			p->run_len[k] = 0;
		else if (ends_run(&in[k]))
			p->run_len[k] = 1;
		else if (in[k].code == 0x18)
			p->run_len[k] = 1 + p->run_len[k + 2];
		else
			p->run_len[k] = 1 + p->run_len[k + 1];
	}
	return GRAFT_OK;
}

enum graft_status ebpf_prog_load(struct ebpf_prog **out,
				 const struct ebpf_insn *insns, size_t n,
				 const struct ebpf_load_opts *opts,
				 struct graft_err *err)
{
	*out = NULL;
	if (!opts || !opts->alloc.alloc || !opts->alloc.free)
		return graft_errf(err, GRAFT_EINVAL,
				  "ebpf_prog_load needs options with an allocator");
	/* The decoded ops come out of validation, when n is plausible (else
	 * the validator says what is wrong with it). */
	size_t max = opts->max_insns ? opts->max_insns : EBPF_DEFAULT_MAX_INSNS;
	uint8_t *ops = n && n <= max && insns ? opts->alloc.alloc(opts->alloc.ud, n)
					       : NULL;
	if (n && n <= max && insns && !ops)
		return graft_errf(err, GRAFT_ENOMEM, "out of memory");
	enum graft_status st = ebpf_validate_ops(insns, n, opts, ops, err);
	struct ebpf_prog *p = st ? NULL : zalloc(&opts->alloc, sizeof *p);
	if (!p) {
		if (ops)
			opts->alloc.free(opts->alloc.ud, ops);
		return st ? st : graft_errf(err, GRAFT_ENOMEM, "out of memory");
	}
	p->op = ops;
	p->alloc = opts->alloc;
	p->flags = opts->flags;
	p->n = n;
	p->insns = zalloc(&p->alloc, n * sizeof *p->insns);
	p->imm64 = zalloc(&p->alloc, n * sizeof *p->imm64);
	p->run_len = zalloc(&p->alloc, (n + 1) * sizeof *p->run_len);
	if (!p->insns || !p->imm64 || !p->run_len) {
		st = graft_errf(err, GRAFT_ENOMEM, "out of memory");
		goto fail;
	}
	memcpy(p->insns, insns, n * sizeof *insns);
	if ((st = copy_helpers(p, opts, err)) ||
	    (st = resolve(p, opts, err)) ||
	    (st = ebpf_interp_prepare(p, err)))
		goto fail;
	if (opts->flags & EBPF_F_JIT) {
		st = ebpf_jit_compile(p, opts, err);
		if (st)
			goto fail;
	}
	*out = p;
	return GRAFT_OK;
fail:
	ebpf_prog_free(p);
	return st;
}

void ebpf_prog_free(struct ebpf_prog *p)
{
	if (!p)
		return;
	if (p->jit_code)
		ebpf_jit_release(p);
	ebpf_interp_release(p);
	struct graft_alloc a = p->alloc;
	if (p->insns)
		a.free(a.ud, p->insns);
	if (p->op)
		a.free(a.ud, p->op);
	if (p->imm64)
		a.free(a.ud, p->imm64);
	if (p->run_len)
		a.free(a.ud, p->run_len);
	if (p->helpers)
		a.free(a.ud, (void *)p->helpers);
	a.free(a.ud, p);
}

const struct ebpf_insn *ebpf_prog_insns(const struct ebpf_prog *p, size_t *n)
{
	if (n)
		*n = p->n;
	return p->insns;
}

unsigned ebpf_prog_flags(const struct ebpf_prog *p)
{
	return p->flags;
}

/* The results a run starts from (every path sets them the same way). */
static void run_reset(struct ebpf_exec *x)
{
	x->executed = 0;
	x->err.status = GRAFT_OK;
	x->err.msg[0] = '\0';
	x->err_pc = 0;
	x->tail_call = NULL;
	x->abort = false;
	x->tail_calls = 0;
}

static enum graft_status run_one(const struct ebpf_prog *p,
				 struct ebpf_exec *x, bool interp)
{
	return !interp && p->jit_run ? p->jit_run(p, x) : ebpf_interp_run(p, x);
}

/* The rest of a chain once a program asked for a tail call (see run_chain). */
static __attribute__((noinline)) enum graft_status
run_tails(struct ebpf_exec *x, bool interp)
{
	uint64_t arg[5];
	memcpy(arg, x->arg, sizeof arg);
	enum graft_status st;
	for (;;) {
		if (x->tail_calls >= EBPF_MAX_TAIL_CALLS) {
			st = graft_errf(&x->err, GRAFT_EHELPER,
					"tail call limit of %d exceeded",
					EBPF_MAX_TAIL_CALLS);
			break;
		}
		x->tail_calls++;
		const struct ebpf_prog *p = x->tail_call;
		x->tail_call = NULL;
		x->arg[0] = x->tail_ctx;
		memset(&x->arg[1], 0, 4 * sizeof x->arg[0]);
		st = run_one(p, x, interp);
		if (st || !x->tail_call)
			break;
	}
	x->tail_call = NULL;
	memcpy(x->arg, arg, sizeof arg);
	return st;
}

/*
 * Run a program and the chain of tail calls its helpers start. The budget
 * covers the whole chain; each program gets a fresh stack and r1 = the
 * context its caller's helper recorded. Only a chain (out of line) saves
 * and restores the arguments: the first run leaves them as they are.
 */
static inline enum graft_status run_chain(const struct ebpf_prog *p,
					  struct ebpf_exec *x, bool interp)
{
	x->r0 = 0;
	run_reset(x);
	enum graft_status st = run_one(p, x, interp);
	if (!x->tail_call)
		return st;
	if (st) {
		x->tail_call = NULL;
		return st;
	}
	return run_tails(x, interp);
}

enum graft_status ebpf_prog_run(const struct ebpf_prog *p, struct ebpf_exec *x)
{
	if (p->jit_direct) {
		/* JIT code that cannot fail, stop early or tail-call: enter it
		 * directly and leave x as run_chain would after a success. */
		run_reset(x);
		x->r0 = p->jit_direct(x);
		return GRAFT_OK;
	}
	return run_chain(p, x, false);
}

ebpf_direct_fn ebpf_prog_direct(const struct ebpf_prog *p)
{
	return p->jit_direct;
}

enum graft_status ebpf_prog_interp(const struct ebpf_prog *p,
				   struct ebpf_exec *x)
{
	return run_chain(p, x, true);
}
