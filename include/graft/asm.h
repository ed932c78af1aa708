/*
 * graft/asm.h — eBPF assembler and disassembler.
 *
 * Input syntax is the conformance suite's: `%rN` registers, memory operands
 * `[%r1+4]`, jump targets as signed offsets (`+2`, `-3`) or labels (`L1:`),
 * `lddw` for 64-bit immediates, `call N` (helper), `call local LABEL`
 * (bpf-to-bpf), `call %rN` (callx), `lock` atomics, `be16`/`le32`/`bswap64`,
 * `movsx832`-style moves, `sdiv`/`smod`; `#` starts a comment.
 * Output is the same syntax (BPFASM_SUITE), which assembles back to the same
 * bytes, or the kernel's verifier-log style (BPFASM_KERNEL).
 */
#ifndef GRAFT_ASM_H
#define GRAFT_ASM_H

#include <stddef.h>

#include "graft/base.h"
#include "graft/ebpf.h"

enum bpfasm_syntax { BPFASM_SUITE, BPFASM_KERNEL };

/*
 * Assemble `len` bytes of text into at most `cap` instruction slots.
 * On error, err says "line L, column C: why" and nothing in *n is valid.
 */
enum graft_status bpfasm_assemble(const char *text, size_t len,
				  struct ebpf_insn *out, size_t cap, size_t *n,
				  struct graft_err *err);

/*
 * Disassemble the instruction at pc into buf (no newline). Returns the
 * number of slots it used (1, or 2 for lddw), or 0 if the slot cannot be
 * decoded, in which case buf describes the raw bytes.
 */
size_t bpfasm_disasm_insn(const struct ebpf_insn *insns, size_t n, size_t pc,
			  enum bpfasm_syntax syntax, char *buf, size_t buflen);

/*
 * Disassemble a whole program, one instruction per line. Writes at most
 * buflen bytes (always NUL-terminated) and returns the length the full text
 * needs, as snprintf does.
 */
size_t bpfasm_disassemble(const struct ebpf_insn *insns, size_t n,
			  enum bpfasm_syntax syntax, char *buf, size_t buflen);

#endif
