/*
 * graft/asm.h — eBPF assembler and disassembler.
 *
 * Input syntax is the conformance suite's, one instruction per line:
 *   - registers `%r0`..`%r10`; memory operands `[%r1]`, `[%r1+4]`,
 *     `[%r10-8]`; immediates in decimal or hex, signed (`-1`, `0x1f`);
 *   - jump targets as signed offsets (`+2`, `-3`) or labels (`L1:` on a
 *     line of its own or before an instruction); as in the suite, an
 *     undefined label `exit` means the first `exit` instruction;
 *   - `lddw %r0, 0x1122334455667788` (two slots), `call 5` (helper),
 *     `call local LABEL` (bpf-to-bpf), `call %r2` (callx, register in dst),
 *     `lock [fetch] add|or|and|xor[32] [%r10-8], %r1`, `lock xchg`,
 *     `lock cmpxchg`, `be16`/`le32`/`bswap64` (`swap16` is `bswap16`),
 *     `movsx832`-style moves, `sdiv`/`smod`, `ja32`, `add64` = `add`;
 *   - ALU and jump mnemonics take an immediate or a register as their
 *     source, chosen by the operand written;
 *   - `.raw 0xWORD` places one slot as its 64-bit word (opcode in the low
 *     byte, as the suite's `-- raw`), for slots no mnemonic expresses;
 *   - `#` starts a comment.
 * Ranges: a 32-bit immediate is -2147483648..2147483647 in decimal and up
 * to 0xffffffff in hex; offsets are signed 16-bit (jump targets of `ja32`
 * and `call local` signed 32-bit); lddw takes any 64-bit value.
 *
 * Output is the same syntax (BPFASM_SUITE), which assembles back to the
 * same bytes for any input, or the kernel's verifier-log style
 * (BPFASM_KERNEL), for people. Nothing here allocates or prints.
 */
#ifndef GRAFT_ASM_H
#define GRAFT_ASM_H

#include <stddef.h>

#include "graft/base.h"
#include "graft/ebpf.h"

enum bpfasm_syntax { BPFASM_SUITE, BPFASM_KERNEL };

/*
 * Assemble `len` bytes of text (no NUL needed) into at most `cap`
 * instruction slots; *n is the number of slots used. On error (always
 * GRAFT_EINVAL), err says "line L, column C: why" and *n is 0.
 */
enum graft_status bpfasm_assemble(const char *text, size_t len,
				  struct ebpf_insn *out, size_t cap, size_t *n,
				  struct graft_err *err);

/*
 * Disassemble the instruction at pc into buf (no newline, always
 * NUL-terminated when buflen > 0). Returns the number of slots it used (1,
 * or 2 for lddw), or 0 if the slot cannot be decoded (unknown opcode, lddw
 * without its second slot), in which case buf shows the raw word
 * (`.raw 0x...` in suite syntax) and the caller moves on by one slot.
 */
size_t bpfasm_disasm_insn(const struct ebpf_insn *insns, size_t n, size_t pc,
			  enum bpfasm_syntax syntax, char *buf, size_t buflen);

/*
 * Disassemble a whole program, one instruction per line (kernel syntax
 * prefixes each with its pc). Writes at most buflen bytes (NUL-terminated
 * when buflen > 0; buf may be NULL when buflen is 0) and returns the
 * length the full text needs, without the NUL, as snprintf does.
 */
size_t bpfasm_disassemble(const struct ebpf_insn *insns, size_t n,
			  enum bpfasm_syntax syntax, char *buf, size_t buflen);

#endif
