/*
 * jit_x86_64.h — state shared by the JIT's driver (jit_x86_64.c) and its
 * per-instruction translators (jit_ops.c). Internal.
 *
 * Register map (never spilled):
 *   r0 rax   r1 rdi   r2 rsi   r3 rdx   r4 rcx   r5 r8
 *   r6 rbx   r7 r13   r8 r14   r9 r15   r10 rbp (frame top)
 *   r12 = struct jit_ctx *   r9 = remaining budget (checked mode)
 *   r10, r11 = scratch
 * r1..r5 sit where SysV passes arguments, so a helper call needs only the
 * exec pointer in r9. The machine stack stays 16-byte aligned in the body.
 */
#ifndef GRAFT_JIT_X86_64_H
#define GRAFT_JIT_X86_64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "graft/ebpf.h"
#include "x86_emit.h"

/* How the generated code stopped (jit_ctx.status). */
enum {
	JS_OK, JS_FAULT, JS_BUDGET, JS_DEPTH, JS_CALLX, JS_STOP, JS_PKT,
	JS_COUNT
};

/*
 * One run's context, on the C stack of the wrapper that enters the code.
 * The generated code addresses fields by offsetof.
 */
struct jit_ctx {
	struct ebpf_exec *x;
	uint64_t budget;      /* remaining; saved across helpers and at exit */
	uint64_t saved_rsp;   /* machine stack at entry, for unwinding */
	uint64_t depth_limit; /* r10 of the deepest allowed frame */
	uint64_t stack_top;   /* x->stack + its size */
	uint64_t fault_addr;  /* EFAULT: the address; JS_CALLX: the ID */
	uint32_t info;        /* pc << 5 | store << 4 | size */
	uint32_t status;      /* JS_* */
	/* One region per direction (0 load, 1 store) that recently allowed an
	 * access: [lo, lo + lim + 8) may be accessed with any size <= 8. */
	uint64_t cache_lo[2], cache_lim[2];
};

/*
 * A deferred cold path: at `at` a rel32 to a stub "info = pc; exit kind",
 * or, for kind JC_MEM, to a full memory check of [base + off] (size bytes,
 * perm) that jumps back to `back` when the access is allowed, or, for
 * JC_DIV0 and JC_DIVNEG1, to the result of a division by 0 or by -1 that
 * jumps back to `back` (see jit_emit_div_cold).
 */
enum { JC_MEM = JS_COUNT, JC_DIV0, JC_DIVNEG1 };
/* jit_cold.size of the division kinds: what the instruction computes */
enum { JD_MOD = 1, JD_W = 2 };

struct jit_cold {
	uint32_t at;
	uint32_t pc;
	uint8_t kind;
	uint8_t base, size, perm;
	int16_t off;
	uint32_t back;
};

/* A forward jump to a BPF pc's entry. */
struct jit_fix {
	uint32_t at;
	uint32_t pc;
};

/* JM_SHORT: the head of a loop of at most JIT_SHORT_LOOP slots */
enum { JM_TARGET = 1, JM_RUNHEAD = 2, JM_LDDW2 = 4, JM_LOOP = 8, JM_SHORT = 16 };
#define JIT_SHORT_LOOP 24

struct jit {
	const struct ebpf_prog *p;
	const struct ebpf_insn *insns;
	size_t n;
	bool checked;
	size_t pc;       /* being translated */
	size_t cap;      /* bytes of code the scratch buffer holds */
	size_t bound;    /* the most code this program may need */
	bool overflow;
	struct xbuf b;
	uint32_t *entry; /* per pc: code offset where jumps enter */
	uint8_t *mark;   /* per pc: JM_* */
	uint8_t *op;     /* per pc: enum ebpf_op */
	struct jit_fix *fix;
	size_t nfix;
	struct jit_cold *cold;
	size_t ncold, cold_cap; /* cold_cap: an upper bound from scan() */
	/* shared stubs */
	size_t l_exit[JS_COUNT];
	size_t l_check[4]; /* by needed permission: EBPF_R, EBPF_W, EBPF_RW */
	size_t l_callx;
	/* No helper, callx, local call or packet load, and unchecked: the
	 * program cannot fail or stop early, so it gets a direct entry. */
	bool direct;
	bool narrow_div; /* 64-bit udiv tries the 32-bit divide first */
	unsigned used; /* bit per BPF register some instruction names */
	size_t call_direct; /* the generic entry's call of the direct one */
	uint8_t save[6];    /* callee-saved registers the generic entry keeps */
	unsigned nsave;
};

/* Worst-case bytes one BPF instruction translates to (body + its charge). */
#define JIT_MAX_INSN 256 /* incl. up to 63 bytes of loop-head padding */
#define JIT_MAX_COLD 4 /* cold stubs per instruction, at most */
#define JIT_COLD_SIZE 24

/* Translate the instruction at pc (jit_ops.c); returns how many slots it used. */
unsigned jit_emit_insn(struct jit *j, size_t pc);

/* The cold stub of a JC_DIV0 or JC_DIVNEG1 path (jit_ops.c). */
void jit_emit_div_cold(struct jit *j, const struct jit_cold *c);

/* BPF exit: ret, after the direct entry's epilogue for direct programs. */
void jit_emit_exit(struct jit *j);

/* A jump (cc < 0: jmp) to pc's entry, short when it is behind us. */
void jit_jump_to(struct jit *j, int cc, size_t pc);
/* A jcc rel32 to a cold stub that records pc and exits with `kind`. */
void jit_cold_jcc(struct jit *j, unsigned cc, size_t pc, unsigned kind);
/* Record a cold path (the bound from scan() makes overflow a JIT bug,
 * which fails the compile instead of writing past the array). */
void jit_add_cold(struct jit *j, struct jit_cold c);

/* The C side of legacy packet loads (jit_x86_64.c). */
struct jit_pkt_result {
	uint64_t value;
	uint64_t ok;
};
struct jit_pkt_result jit_ld_pkt(struct ebpf_exec *x, uint64_t base,
				 int64_t imm, uint64_t size);

/* BPF register number -> x86 register. */
static const uint8_t jit_reg[EBPF_NREGS] = {
	RAX, RDI, RSI, RDX, RCX, R8, RBX, R13, R14, R15, RBP,
};

#define CTX(field) ((int32_t)offsetof(struct jit_ctx, field))

#endif
