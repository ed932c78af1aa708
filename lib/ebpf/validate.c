/*
 * Load-time validation of an eBPF program.
 *
 * Proves, for every instruction: the opcode and its variant are in the
 * opcode table; register fields name r0..r10 and nothing writes r10; every
 * field the instruction's format does not use is zero; jump and local-call
 * targets lie inside the program and not on the second slot of an lddw;
 * each lddw has a complete second slot; helper calls name a registered
 * helper; pseudo lddw kinds are known and have a resolver. For the program:
 * it is not empty, not longer than max_insns, and its last instruction
 * cannot fall off the end (exit or an unconditional jump).
 *
 * Does not prove anything about values: memory safety, termination and
 * call depth are enforced at run time (checked programs) or by lib/verify.
 * The first fault found, lowest pc first, is reported as "pc P: reason".
 */
#include "prog.h"

/* Fields besides the opcode byte that a format uses. */
enum { U_DST = 1, U_SRC = 2, U_OFF = 4, U_IMM = 8 };

static const uint8_t fmt_uses[] = {
	[EBPF_FMT_ALU_REG] = U_DST | U_SRC,
	[EBPF_FMT_ALU_IMM] = U_DST | U_IMM,
	[EBPF_FMT_NEG] = U_DST,
	[EBPF_FMT_END] = U_DST | U_IMM,
	[EBPF_FMT_JA] = U_OFF,
	[EBPF_FMT_JA32] = U_IMM,
	[EBPF_FMT_JCOND_IMM] = U_DST | U_IMM | U_OFF,
	[EBPF_FMT_JCOND_REG] = U_DST | U_SRC | U_OFF,
	[EBPF_FMT_CALL] = U_IMM | U_SRC,
	[EBPF_FMT_CALL_LOCAL] = U_IMM | U_SRC,
	[EBPF_FMT_CALLX] = U_DST,
	[EBPF_FMT_EXIT] = 0,
	[EBPF_FMT_LDDW] = U_DST | U_SRC | U_IMM,
	[EBPF_FMT_LD_ABS] = U_IMM,
	[EBPF_FMT_LD_IND] = U_SRC | U_IMM,
	[EBPF_FMT_LDX] = U_DST | U_SRC | U_OFF,
	[EBPF_FMT_ST] = U_DST | U_OFF | U_IMM,
	[EBPF_FMT_STX] = U_DST | U_SRC | U_OFF,
	[EBPF_FMT_ATOMIC] = U_DST | U_SRC | U_OFF | U_IMM,
};

static bool writes_dst(uint8_t fmt)
{
	return fmt == EBPF_FMT_ALU_REG || fmt == EBPF_FMT_ALU_IMM ||
	       fmt == EBPF_FMT_NEG || fmt == EBPF_FMT_END ||
	       fmt == EBPF_FMT_LDDW || fmt == EBPF_FMT_LDX;
}

static bool helper_known(const struct ebpf_load_opts *o, uint32_t id)
{
	for (size_t i = 0; i < o->nhelpers; i++)
		if (o->helpers[i].id == id)
			return true;
	return false;
}

/* Why an instruction whose opcode byte is known matched no variant. */
static enum graft_status bad_variant(const struct ebpf_insn *in, size_t pc,
				     struct graft_err *err)
{
	unsigned c = in->code;
	if (c == 0x85 && in->src == EBPF_CALL_KFUNC)
		return graft_errf(err, GRAFT_ENOTSUP,
				  "pc %zu: kfunc calls (call with src 2) are not supported",
				  pc);
	if (c == 0xd4 || c == 0xd7 || c == 0xdc)
		return graft_errf(err, GRAFT_EINVAL,
				  "pc %zu: bad byte-swap width %d (want 16, 32 or 64)",
				  pc, (int)in->imm);
	if (c == 0xc3 || c == 0xdb)
		return graft_errf(err, GRAFT_EINVAL,
				  "pc %zu: unknown atomic operation 0x%x", pc,
				  (unsigned)in->imm);
	for (unsigned i = 0; i < EBPF_OP_COUNT; i++) {
		if (ebpf_opinfo[i].code != c)
			continue;
		switch (ebpf_opinfo[i].sel) {
		case EBPF_SEL_OFF:
			return graft_errf(err, GRAFT_EINVAL,
					  "pc %zu: unknown variant off=%d of opcode 0x%02x (%s)",
					  pc, (int)in->off, c, ebpf_opinfo[i].mnem);
		case EBPF_SEL_SRC:
			return graft_errf(err, GRAFT_EINVAL,
					  "pc %zu: unknown variant src=%u of opcode 0x%02x (%s)",
					  pc, (unsigned)in->src, c, ebpf_opinfo[i].mnem);
		default:
			break;
		}
	}
	return graft_errf(err, GRAFT_EINVAL, "pc %zu: unknown opcode 0x%02x", pc,
			  c);
}

/*
 * A second lddw slot follows an lddw opcode. Where that lddw is itself a
 * (malformed) second slot the program is rejected at the pair anyway.
 */
static enum graft_status check_target(size_t pc, int64_t rel,
				      const struct ebpf_insn *insns, size_t n,
				      const char *what, struct graft_err *err)
{
	int64_t t = (int64_t)pc + 1 + rel;
	if (t < 0 || t >= (int64_t)n)
		return graft_errf(err, GRAFT_EINVAL,
				  "pc %zu: %s target %lld is outside the program (0..%zu)",
				  pc, what, (long long)t, n - 1);
	if (t > 0 && insns[t - 1].code == 0x18)
		return graft_errf(err, GRAFT_EINVAL,
				  "pc %zu: %s target %lld is the second slot of the lddw at pc %lld",
				  pc, what, (long long)t, (long long)t - 1);
	return GRAFT_OK;
}

static enum graft_status check_fields(const struct ebpf_insn *in, size_t pc,
				      const struct ebpf_opinfo *e,
				      struct graft_err *err)
{
	unsigned uses = fmt_uses[e->fmt];
	/* The selector field is checked by the decoder. */
	if (e->sel == EBPF_SEL_OFF)
		uses |= U_OFF;
	else if (e->sel == EBPF_SEL_IMM)
		uses |= U_IMM;
	else if (e->sel == EBPF_SEL_SRC)
		uses |= U_SRC;
	const char *unused = NULL;
	if (!(uses & U_DST) && in->dst)
		unused = "dst";
	else if (!(uses & U_SRC) && in->src)
		unused = "src";
	else if (!(uses & U_OFF) && in->off)
		unused = "off";
	else if (!(uses & U_IMM) && in->imm)
		unused = "imm";
	if (unused)
		return graft_errf(err, GRAFT_EINVAL,
				  "pc %zu: %s (0x%02x) does not use its %s field, which must be 0",
				  pc, e->mnem, in->code, unused);
	if (in->dst > 10)
		return graft_errf(err, GRAFT_EINVAL, "pc %zu: bad register r%u",
				  pc, (unsigned)in->dst);
	if (in->src > 10 && e->fmt != EBPF_FMT_LDDW && e->sel != EBPF_SEL_SRC)
		return graft_errf(err, GRAFT_EINVAL, "pc %zu: bad register r%u",
				  pc, (unsigned)in->src);
	bool wr10 = writes_dst(e->fmt) && in->dst == 10;
	if (e->fmt == EBPF_FMT_ATOMIC && (in->imm & EBPF_ATOMIC_FETCH) &&
	    in->imm != EBPF_ATOMIC_CMPXCHG && in->src == 10)
		wr10 = true;
	if (wr10)
		return graft_errf(err, GRAFT_EINVAL,
				  "pc %zu: %s writes r10, which is read-only", pc,
				  e->mnem);
	return GRAFT_OK;
}

static enum graft_status check_lddw(const struct ebpf_insn *insns, size_t pc,
				    size_t n, const struct ebpf_load_opts *o,
				    struct graft_err *err)
{
	const struct ebpf_insn *in = &insns[pc];
	if (pc + 1 >= n)
		return graft_errf(err, GRAFT_EINVAL,
				  "pc %zu: truncated lddw (no second slot)", pc);
	const struct ebpf_insn *hi = &insns[pc + 1];
	if (hi->code || hi->dst || hi->src || hi->off)
		return graft_errf(err, GRAFT_EINVAL,
				  "pc %zu: truncated lddw (second slot at pc %zu must have code, registers and off 0)",
				  pc, pc + 1);
	if (in->src > EBPF_PSEUDO_MAP_IDX_VALUE)
		return graft_errf(err, GRAFT_EINVAL,
				  "pc %zu: unknown lddw pseudo source %u", pc,
				  (unsigned)in->src);
	if (in->src && !o->resolve_ld64)
		return graft_errf(err, GRAFT_ENOTSUP,
				  "pc %zu: lddw with pseudo source %u needs a loader to resolve it",
				  pc, (unsigned)in->src);
	return GRAFT_OK;
}

static enum graft_status check_insn(const struct ebpf_insn *insns, size_t pc,
				    size_t n, const struct ebpf_load_opts *o,
				    uint8_t *ops, struct graft_err *err)
{
	const struct ebpf_insn *in = &insns[pc];
	enum ebpf_op op = ebpf_decode(in);
	if (ops)
		ops[pc] = (uint8_t)op;
	if (op == EBPF_OP_COUNT)
		return bad_variant(in, pc, err);
	const struct ebpf_opinfo *e = &ebpf_opinfo[op];
	enum graft_status st = check_fields(in, pc, e, err);
	if (st)
		return st;
	switch (e->fmt) {
	case EBPF_FMT_JA:
	case EBPF_FMT_JCOND_IMM:
	case EBPF_FMT_JCOND_REG:
		return check_target(pc, in->off, insns, n, "jump", err);
	case EBPF_FMT_JA32:
		return check_target(pc, in->imm, insns, n, "jump", err);
	case EBPF_FMT_CALL_LOCAL:
		return check_target(pc, in->imm, insns, n, "local call", err);
	case EBPF_FMT_CALL:
		if (!helper_known(o, (uint32_t)in->imm))
			return graft_errf(err, GRAFT_EINVAL,
					  "pc %zu: call to unknown helper %u", pc,
					  (unsigned)in->imm);
		return GRAFT_OK;
	case EBPF_FMT_LDDW:
		return check_lddw(insns, pc, n, o, err);
	default:
		return GRAFT_OK;
	}
}

enum graft_status ebpf_validate(const struct ebpf_insn *insns, size_t n,
				const struct ebpf_load_opts *opts,
				struct graft_err *err)
{
	return ebpf_validate_ops(insns, n, opts, NULL, err);
}

enum graft_status ebpf_validate_ops(const struct ebpf_insn *insns, size_t n,
				    const struct ebpf_load_opts *opts,
				    uint8_t *ops, struct graft_err *err)
{
	static const struct ebpf_load_opts none;
	const struct ebpf_load_opts *o = opts ? opts : &none;
	size_t max = o->max_insns ? o->max_insns : EBPF_DEFAULT_MAX_INSNS;
	if (n == 0 || !insns)
		return graft_errf(err, GRAFT_EINVAL, "empty program");
	if (o->nhelpers && !o->helpers)
		return graft_errf(err, GRAFT_EINVAL,
				  "%zu helpers announced but no helper table",
				  o->nhelpers);
	if (n > max)
		return graft_errf(err, GRAFT_ENOMEM,
				  "program of %zu instructions exceeds the limit of %zu",
				  n, max);
	enum graft_status st = GRAFT_OK;
	size_t pc = 0, last = 0;
	for (; pc < n && !st; pc += insns[pc].code == 0x18 ? 2 : 1) {
		last = pc;
		st = check_insn(insns, pc, n, o, ops, err);
		if (ops && pc + 1 < n && insns[pc].code == 0x18)
			ops[pc + 1] = EBPF_OP_COUNT; /* second lddw slot */
	}
	if (!st) {
		uint8_t c = insns[last].code;
		if (c != 0x95 && c != 0x05 && c != 0x06)
			st = graft_errf(err, GRAFT_EINVAL,
					"pc %zu: last instruction can fall off the end of the program (want exit or ja)",
					last);
	}
	return st;
}
