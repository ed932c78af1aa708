/*
 * graft/ebpf.h — the eBPF instruction set: encoding, the one opcode table,
 * load-time validation, the interpreter and the JIT behind one API.
 *
 * Instruction set: RFC 9669, every conformance group (base32/64, atomic32/64,
 * divmul32/64, the v4 additions, legacy packet loads) plus `callx`.
 *
 * Contract shared by the interpreter and the JIT (they must agree exactly,
 * and the differential tests hold them to it):
 *
 *  - Division by zero gives 0; modulo by zero leaves dst unchanged (for the
 *    32-bit forms, zero-extended). INT_MIN sdiv -1 gives INT_MIN, INT_MIN
 *    smod -1 gives 0. Shift amounts are masked to the operand width. Every
 *    32-bit ALU result is zero-extended into the 64-bit register.
 *
 *  - The instruction budget counts executed instructions and is charged per
 *    *run*. A run starts at pc 0, at the target of a taken jump, at the
 *    instruction after a not-taken conditional jump, at the entry of a local
 *    call and at the return point after one, and extends to the first jump,
 *    local call or exit at or after its start. A run is charged in full when
 *    it is entered; if the remaining budget is smaller than its length the
 *    program stops with GRAFT_EBUDGET and the message
 *    "instruction budget of N exhausted at pc P" (P: the run's first pc),
 *    and no instruction of that run executes. Helper calls and callx do not
 *    end a run. So on success `executed` is exact.
 *
 *  - Local calls push a fresh EBPF_STACK_SIZE-byte frame; r6..r9 are
 *    preserved across them; more than EBPF_MAX_FRAMES frames stops the
 *    program with GRAFT_EDEPTH ("call depth limit of 8 exceeded at pc P").
 *
 *  - Checked programs (the default) may load and store only inside the
 *    regions of their ebpf_exec and their own stack frames (the live frames,
 *    from the current frame's bottom to the stack top); anything else stops
 *    the program with GRAFT_EFAULT and "pc P: invalid load|store of S bytes
 *    at 0xADDR". Unchecked programs (EBPF_F_UNCHECKED, for verified code)
 *    skip these checks and the budget (their `executed` stays 0).
 *
 *  - callx calls the helper whose ID is the value of its register; an
 *    unknown ID stops the program with GRAFT_EHELPER.
 *
 *  - Legacy packet loads (ld_abs / ld_ind) read big-endian from the packet
 *    given in ebpf_exec.pkt; out of range, the program ends with r0 = 0
 *    (Linux's rule).
 */
#ifndef GRAFT_EBPF_H
#define GRAFT_EBPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "graft/base.h"

struct ebpf_insn {
	uint8_t code;
	uint8_t dst : 4;
	uint8_t src : 4;
	int16_t off;
	int32_t imm;
};

/* Encoding fields (RFC 9669 section 3). */
enum {
	EBPF_CLS_LD = 0x00, EBPF_CLS_LDX = 0x01, EBPF_CLS_ST = 0x02,
	EBPF_CLS_STX = 0x03, EBPF_CLS_ALU = 0x04, EBPF_CLS_JMP = 0x05,
	EBPF_CLS_JMP32 = 0x06, EBPF_CLS_ALU64 = 0x07,

	EBPF_SZ_W = 0x00, EBPF_SZ_H = 0x08, EBPF_SZ_B = 0x10, EBPF_SZ_DW = 0x18,

	EBPF_MODE_IMM = 0x00, EBPF_MODE_ABS = 0x20, EBPF_MODE_IND = 0x40,
	EBPF_MODE_MEM = 0x60, EBPF_MODE_MEMSX = 0x80, EBPF_MODE_ATOMIC = 0xc0,

	EBPF_SRC_K = 0x00, EBPF_SRC_X = 0x08,

	EBPF_ATOMIC_ADD = 0x00, EBPF_ATOMIC_OR = 0x40, EBPF_ATOMIC_AND = 0x50,
	EBPF_ATOMIC_XOR = 0xa0, EBPF_ATOMIC_FETCH = 0x01,
	EBPF_ATOMIC_XCHG = 0xe1, EBPF_ATOMIC_CMPXCHG = 0xf1,

	/* src field of lddw (0x18): what the 64-bit immediate refers to. */
	EBPF_PSEUDO_MAP_FD = 1, EBPF_PSEUDO_MAP_VALUE = 2, EBPF_PSEUDO_BTF_ID = 3,
	EBPF_PSEUDO_FUNC = 4, EBPF_PSEUDO_MAP_IDX = 5,
	EBPF_PSEUDO_MAP_IDX_VALUE = 6,

	/* src field of call (0x85). */
	EBPF_CALL_HELPER = 0, EBPF_CALL_LOCAL = 1, EBPF_CALL_KFUNC = 2,
};

#define EBPF_CLASS(code) ((code) & 0x07)
#define EBPF_NREGS 11
#define EBPF_STACK_SIZE 512
#define EBPF_MAX_FRAMES 8
#define EBPF_DEFAULT_BUDGET 1000000ull
#define EBPF_DEFAULT_MAX_INSNS 1000000u
#define EBPF_MAX_TAIL_CALLS 33
#define EBPF_MAX_REGIONS 16

/*
 * How an instruction's fields are used. The validator rejects any field a
 * format does not use that is not zero; the assembler and disassembler read
 * and print operands by format.
 */
enum ebpf_fmt {
	EBPF_FMT_ALU_REG,    /* op dst, src           imm = 0 */
	EBPF_FMT_ALU_IMM,    /* op dst, imm           src = 0 */
	EBPF_FMT_NEG,        /* op dst                src = imm = off = 0 */
	EBPF_FMT_END,        /* op dst                src = off = 0, imm = width */
	EBPF_FMT_JA,         /* ja +off               dst = src = imm = 0 */
	EBPF_FMT_JA32,       /* ja32 +imm             dst = src = off = 0 */
	EBPF_FMT_JCOND_IMM,  /* op dst, imm, +off     src = 0 */
	EBPF_FMT_JCOND_REG,  /* op dst, src, +off     imm = 0 */
	EBPF_FMT_CALL,       /* call imm (helper ID)  dst = src = off = 0 */
	EBPF_FMT_CALL_LOCAL, /* call local +imm       dst = off = 0, src = 1 */
	EBPF_FMT_CALLX,      /* call %dst             src = off = imm = 0 */
	EBPF_FMT_EXIT,       /* exit                  all zero */
	EBPF_FMT_LDDW,       /* lddw dst, imm64       two slots, off = 0 */
	EBPF_FMT_LD_ABS,     /* op imm                dst = src = off = 0 */
	EBPF_FMT_LD_IND,     /* op src, imm           dst = off = 0 */
	EBPF_FMT_LDX,        /* op dst, [src+off]     imm = 0 */
	EBPF_FMT_ST,         /* op [dst+off], imm     src = 0 */
	EBPF_FMT_STX,        /* op [dst+off], src     imm = 0 */
	EBPF_FMT_ATOMIC,     /* lock op [dst+off], src  imm selects the op */
};

/* Which field, besides the opcode byte, tells variants apart. */
enum ebpf_sel { EBPF_SEL_NONE, EBPF_SEL_OFF, EBPF_SEL_IMM, EBPF_SEL_SRC };

/*
 * The opcode table, listed once: X(ID, CODE, SEL, SELVAL, MNEMONIC, FMT).
 * Sorted by CODE (a test checks); variants of one CODE are adjacent and
 * distinguished by the field SEL having value SELVAL. The decoder,
 * validator, interpreter, JIT, assembler and disassembler are all built
 * from this list.
 */
#define EBPF_OPCODES(X)                                                     \
	X(ADD32_IMM, 0x04, NONE, 0, "add32", ALU_IMM)                         \
	X(JA, 0x05, NONE, 0, "ja", JA)                                        \
	X(JA32, 0x06, NONE, 0, "ja32", JA32)                                  \
	X(ADD64_IMM, 0x07, NONE, 0, "add", ALU_IMM)                           \
	X(ADD32_REG, 0x0c, NONE, 0, "add32", ALU_REG)                         \
	X(ADD64_REG, 0x0f, NONE, 0, "add", ALU_REG)                           \
	X(SUB32_IMM, 0x14, NONE, 0, "sub32", ALU_IMM)                         \
	X(JEQ_IMM, 0x15, NONE, 0, "jeq", JCOND_IMM)                           \
	X(JEQ32_IMM, 0x16, NONE, 0, "jeq32", JCOND_IMM)                       \
	X(SUB64_IMM, 0x17, NONE, 0, "sub", ALU_IMM)                           \
	X(LDDW, 0x18, NONE, 0, "lddw", LDDW)                                  \
	X(SUB32_REG, 0x1c, NONE, 0, "sub32", ALU_REG)                         \
	X(JEQ_REG, 0x1d, NONE, 0, "jeq", JCOND_REG)                           \
	X(JEQ32_REG, 0x1e, NONE, 0, "jeq32", JCOND_REG)                       \
	X(SUB64_REG, 0x1f, NONE, 0, "sub", ALU_REG)                           \
	X(LDABSW, 0x20, NONE, 0, "ldabsw", LD_ABS)                            \
	X(MUL32_IMM, 0x24, NONE, 0, "mul32", ALU_IMM)                         \
	X(JGT_IMM, 0x25, NONE, 0, "jgt", JCOND_IMM)                           \
	X(JGT32_IMM, 0x26, NONE, 0, "jgt32", JCOND_IMM)                       \
	X(MUL64_IMM, 0x27, NONE, 0, "mul", ALU_IMM)                           \
	X(LDABSH, 0x28, NONE, 0, "ldabsh", LD_ABS)                            \
	X(MUL32_REG, 0x2c, NONE, 0, "mul32", ALU_REG)                         \
	X(JGT_REG, 0x2d, NONE, 0, "jgt", JCOND_REG)                           \
	X(JGT32_REG, 0x2e, NONE, 0, "jgt32", JCOND_REG)                       \
	X(MUL64_REG, 0x2f, NONE, 0, "mul", ALU_REG)                           \
	X(LDABSB, 0x30, NONE, 0, "ldabsb", LD_ABS)                            \
	X(DIV32_IMM, 0x34, OFF, 0, "div32", ALU_IMM)                          \
	X(SDIV32_IMM, 0x34, OFF, 1, "sdiv32", ALU_IMM)                        \
	X(JGE_IMM, 0x35, NONE, 0, "jge", JCOND_IMM)                           \
	X(JGE32_IMM, 0x36, NONE, 0, "jge32", JCOND_IMM)                       \
	X(DIV64_IMM, 0x37, OFF, 0, "div", ALU_IMM)                            \
	X(SDIV64_IMM, 0x37, OFF, 1, "sdiv", ALU_IMM)                          \
	X(DIV32_REG, 0x3c, OFF, 0, "div32", ALU_REG)                          \
	X(SDIV32_REG, 0x3c, OFF, 1, "sdiv32", ALU_REG)                        \
	X(JGE_REG, 0x3d, NONE, 0, "jge", JCOND_REG)                           \
	X(JGE32_REG, 0x3e, NONE, 0, "jge32", JCOND_REG)                       \
	X(DIV64_REG, 0x3f, OFF, 0, "div", ALU_REG)                            \
	X(SDIV64_REG, 0x3f, OFF, 1, "sdiv", ALU_REG)                          \
	X(LDINDW, 0x40, NONE, 0, "ldindw", LD_IND)                            \
	X(OR32_IMM, 0x44, NONE, 0, "or32", ALU_IMM)                           \
	X(JSET_IMM, 0x45, NONE, 0, "jset", JCOND_IMM)                         \
	X(JSET32_IMM, 0x46, NONE, 0, "jset32", JCOND_IMM)                     \
	X(OR64_IMM, 0x47, NONE, 0, "or", ALU_IMM)                             \
	X(LDINDH, 0x48, NONE, 0, "ldindh", LD_IND)                            \
	X(OR32_REG, 0x4c, NONE, 0, "or32", ALU_REG)                           \
	X(JSET_REG, 0x4d, NONE, 0, "jset", JCOND_REG)                         \
	X(JSET32_REG, 0x4e, NONE, 0, "jset32", JCOND_REG)                     \
	X(OR64_REG, 0x4f, NONE, 0, "or", ALU_REG)                             \
	X(LDINDB, 0x50, NONE, 0, "ldindb", LD_IND)                            \
	X(AND32_IMM, 0x54, NONE, 0, "and32", ALU_IMM)                         \
	X(JNE_IMM, 0x55, NONE, 0, "jne", JCOND_IMM)                           \
	X(JNE32_IMM, 0x56, NONE, 0, "jne32", JCOND_IMM)                       \
	X(AND64_IMM, 0x57, NONE, 0, "and", ALU_IMM)                           \
	X(AND32_REG, 0x5c, NONE, 0, "and32", ALU_REG)                         \
	X(JNE_REG, 0x5d, NONE, 0, "jne", JCOND_REG)                           \
	X(JNE32_REG, 0x5e, NONE, 0, "jne32", JCOND_REG)                       \
	X(AND64_REG, 0x5f, NONE, 0, "and", ALU_REG)                           \
	X(LDXW, 0x61, NONE, 0, "ldxw", LDX)                                   \
	X(STW, 0x62, NONE, 0, "stw", ST)                                      \
	X(STXW, 0x63, NONE, 0, "stxw", STX)                                   \
	X(LSH32_IMM, 0x64, NONE, 0, "lsh32", ALU_IMM)                         \
	X(JSGT_IMM, 0x65, NONE, 0, "jsgt", JCOND_IMM)                         \
	X(JSGT32_IMM, 0x66, NONE, 0, "jsgt32", JCOND_IMM)                     \
	X(LSH64_IMM, 0x67, NONE, 0, "lsh", ALU_IMM)                           \
	X(LDXH, 0x69, NONE, 0, "ldxh", LDX)                                   \
	X(STH, 0x6a, NONE, 0, "sth", ST)                                      \
	X(STXH, 0x6b, NONE, 0, "stxh", STX)                                   \
	X(LSH32_REG, 0x6c, NONE, 0, "lsh32", ALU_REG)                         \
	X(JSGT_REG, 0x6d, NONE, 0, "jsgt", JCOND_REG)                         \
	X(JSGT32_REG, 0x6e, NONE, 0, "jsgt32", JCOND_REG)                     \
	X(LSH64_REG, 0x6f, NONE, 0, "lsh", ALU_REG)                           \
	X(LDXB, 0x71, NONE, 0, "ldxb", LDX)                                   \
	X(STB, 0x72, NONE, 0, "stb", ST)                                      \
	X(STXB, 0x73, NONE, 0, "stxb", STX)                                   \
	X(RSH32_IMM, 0x74, NONE, 0, "rsh32", ALU_IMM)                         \
	X(JSGE_IMM, 0x75, NONE, 0, "jsge", JCOND_IMM)                         \
	X(JSGE32_IMM, 0x76, NONE, 0, "jsge32", JCOND_IMM)                     \
	X(RSH64_IMM, 0x77, NONE, 0, "rsh", ALU_IMM)                           \
	X(LDXDW, 0x79, NONE, 0, "ldxdw", LDX)                                 \
	X(STDW, 0x7a, NONE, 0, "stdw", ST)                                    \
	X(STXDW, 0x7b, NONE, 0, "stxdw", STX)                                 \
	X(RSH32_REG, 0x7c, NONE, 0, "rsh32", ALU_REG)                         \
	X(JSGE_REG, 0x7d, NONE, 0, "jsge", JCOND_REG)                         \
	X(JSGE32_REG, 0x7e, NONE, 0, "jsge32", JCOND_REG)                     \
	X(RSH64_REG, 0x7f, NONE, 0, "rsh", ALU_REG)                           \
	X(LDXSW, 0x81, NONE, 0, "ldxsw", LDX)                                 \
	X(NEG32, 0x84, NONE, 0, "neg32", NEG)                                 \
	X(CALL, 0x85, SRC, 0, "call", CALL)                                   \
	X(CALL_LOCAL, 0x85, SRC, 1, "call", CALL_LOCAL)                       \
	X(NEG64, 0x87, NONE, 0, "neg", NEG)                                   \
	X(LDXSH, 0x89, NONE, 0, "ldxsh", LDX)                                 \
	X(CALLX, 0x8d, NONE, 0, "call", CALLX)                                \
	X(LDXSB, 0x91, NONE, 0, "ldxsb", LDX)                                 \
	X(MOD32_IMM, 0x94, OFF, 0, "mod32", ALU_IMM)                          \
	X(SMOD32_IMM, 0x94, OFF, 1, "smod32", ALU_IMM)                        \
	X(EXIT, 0x95, NONE, 0, "exit", EXIT)                                  \
	X(MOD64_IMM, 0x97, OFF, 0, "mod", ALU_IMM)                            \
	X(SMOD64_IMM, 0x97, OFF, 1, "smod", ALU_IMM)                          \
	X(MOD32_REG, 0x9c, OFF, 0, "mod32", ALU_REG)                          \
	X(SMOD32_REG, 0x9c, OFF, 1, "smod32", ALU_REG)                        \
	X(MOD64_REG, 0x9f, OFF, 0, "mod", ALU_REG)                            \
	X(SMOD64_REG, 0x9f, OFF, 1, "smod", ALU_REG)                          \
	X(XOR32_IMM, 0xa4, NONE, 0, "xor32", ALU_IMM)                         \
	X(JLT_IMM, 0xa5, NONE, 0, "jlt", JCOND_IMM)                           \
	X(JLT32_IMM, 0xa6, NONE, 0, "jlt32", JCOND_IMM)                       \
	X(XOR64_IMM, 0xa7, NONE, 0, "xor", ALU_IMM)                           \
	X(XOR32_REG, 0xac, NONE, 0, "xor32", ALU_REG)                         \
	X(JLT_REG, 0xad, NONE, 0, "jlt", JCOND_REG)                           \
	X(JLT32_REG, 0xae, NONE, 0, "jlt32", JCOND_REG)                       \
	X(XOR64_REG, 0xaf, NONE, 0, "xor", ALU_REG)                           \
	X(MOV32_IMM, 0xb4, NONE, 0, "mov32", ALU_IMM)                         \
	X(JLE_IMM, 0xb5, NONE, 0, "jle", JCOND_IMM)                           \
	X(JLE32_IMM, 0xb6, NONE, 0, "jle32", JCOND_IMM)                       \
	X(MOV64_IMM, 0xb7, NONE, 0, "mov", ALU_IMM)                           \
	X(MOV32_REG, 0xbc, OFF, 0, "mov32", ALU_REG)                          \
	X(MOVSX832, 0xbc, OFF, 8, "movsx832", ALU_REG)                        \
	X(MOVSX1632, 0xbc, OFF, 16, "movsx1632", ALU_REG)                     \
	X(JLE_REG, 0xbd, NONE, 0, "jle", JCOND_REG)                           \
	X(JLE32_REG, 0xbe, NONE, 0, "jle32", JCOND_REG)                       \
	X(MOV64_REG, 0xbf, OFF, 0, "mov", ALU_REG)                            \
	X(MOVSX864, 0xbf, OFF, 8, "movsx864", ALU_REG)                        \
	X(MOVSX1664, 0xbf, OFF, 16, "movsx1664", ALU_REG)                     \
	X(MOVSX3264, 0xbf, OFF, 32, "movsx3264", ALU_REG)                     \
	X(AADD32, 0xc3, IMM, 0x00, "lock add32", ATOMIC)                      \
	X(AFADD32, 0xc3, IMM, 0x01, "lock fetch add32", ATOMIC)               \
	X(AOR32, 0xc3, IMM, 0x40, "lock or32", ATOMIC)                        \
	X(AFOR32, 0xc3, IMM, 0x41, "lock fetch or32", ATOMIC)                 \
	X(AAND32, 0xc3, IMM, 0x50, "lock and32", ATOMIC)                      \
	X(AFAND32, 0xc3, IMM, 0x51, "lock fetch and32", ATOMIC)               \
	X(AXOR32, 0xc3, IMM, 0xa0, "lock xor32", ATOMIC)                      \
	X(AFXOR32, 0xc3, IMM, 0xa1, "lock fetch xor32", ATOMIC)               \
	X(AXCHG32, 0xc3, IMM, 0xe1, "lock xchg32", ATOMIC)                    \
	X(ACMPXCHG32, 0xc3, IMM, 0xf1, "lock cmpxchg32", ATOMIC)              \
	X(ARSH32_IMM, 0xc4, NONE, 0, "arsh32", ALU_IMM)                       \
	X(JSLT_IMM, 0xc5, NONE, 0, "jslt", JCOND_IMM)                         \
	X(JSLT32_IMM, 0xc6, NONE, 0, "jslt32", JCOND_IMM)                     \
	X(ARSH64_IMM, 0xc7, NONE, 0, "arsh", ALU_IMM)                         \
	X(ARSH32_REG, 0xcc, NONE, 0, "arsh32", ALU_REG)                       \
	X(JSLT_REG, 0xcd, NONE, 0, "jslt", JCOND_REG)                         \
	X(JSLT32_REG, 0xce, NONE, 0, "jslt32", JCOND_REG)                     \
	X(ARSH64_REG, 0xcf, NONE, 0, "arsh", ALU_REG)                         \
	X(LE16, 0xd4, IMM, 16, "le16", END)                                   \
	X(LE32, 0xd4, IMM, 32, "le32", END)                                   \
	X(LE64, 0xd4, IMM, 64, "le64", END)                                   \
	X(JSLE_IMM, 0xd5, NONE, 0, "jsle", JCOND_IMM)                         \
	X(JSLE32_IMM, 0xd6, NONE, 0, "jsle32", JCOND_IMM)                     \
	X(BSWAP16, 0xd7, IMM, 16, "bswap16", END)                             \
	X(BSWAP32, 0xd7, IMM, 32, "bswap32", END)                             \
	X(BSWAP64, 0xd7, IMM, 64, "bswap64", END)                             \
	X(AADD64, 0xdb, IMM, 0x00, "lock add", ATOMIC)                        \
	X(AFADD64, 0xdb, IMM, 0x01, "lock fetch add", ATOMIC)                 \
	X(AOR64, 0xdb, IMM, 0x40, "lock or", ATOMIC)                          \
	X(AFOR64, 0xdb, IMM, 0x41, "lock fetch or", ATOMIC)                   \
	X(AAND64, 0xdb, IMM, 0x50, "lock and", ATOMIC)                        \
	X(AFAND64, 0xdb, IMM, 0x51, "lock fetch and", ATOMIC)                 \
	X(AXOR64, 0xdb, IMM, 0xa0, "lock xor", ATOMIC)                        \
	X(AFXOR64, 0xdb, IMM, 0xa1, "lock fetch xor", ATOMIC)                 \
	X(AXCHG64, 0xdb, IMM, 0xe1, "lock xchg", ATOMIC)                      \
	X(ACMPXCHG64, 0xdb, IMM, 0xf1, "lock cmpxchg", ATOMIC)                \
	X(BE16, 0xdc, IMM, 16, "be16", END)                                   \
	X(BE32, 0xdc, IMM, 32, "be32", END)                                   \
	X(BE64, 0xdc, IMM, 64, "be64", END)                                   \
	X(JSLE_REG, 0xdd, NONE, 0, "jsle", JCOND_REG)                         \
	X(JSLE32_REG, 0xde, NONE, 0, "jsle32", JCOND_REG)

enum ebpf_op {
#define EBPF_X_ENUM(id, code, sel, selval, mnem, fmt) EBPF_OP_##id,
	EBPF_OPCODES(EBPF_X_ENUM)
#undef EBPF_X_ENUM
	EBPF_OP_COUNT
};

struct ebpf_opinfo {
	uint8_t code;
	uint8_t sel;      /* enum ebpf_sel */
	uint8_t fmt;      /* enum ebpf_fmt */
	int32_t selval;
	const char *mnem;
};

/* The table above as data, indexed by enum ebpf_op. */
extern const struct ebpf_opinfo ebpf_opinfo[EBPF_OP_COUNT];

/*
 * Decode one instruction to its table entry. Returns EBPF_OP_COUNT when no
 * entry matches (unknown opcode, or an unknown variant of a known one).
 * Does not check unused fields; ebpf_validate does.
 */
enum ebpf_op ebpf_decode(const struct ebpf_insn *insn);

/* ----------------------------------------------------------------------- */
/* Helpers and the execution state                                         */

struct ebpf_exec;
struct ebpf_prog;

/*
 * A helper receives r1..r5 and the execution state (for pointer checks and
 * the host's data); its return value becomes r0. The signature matches the
 * SysV calling convention so the JIT can call helpers directly.
 */
typedef uint64_t (*ebpf_helper_fn)(uint64_t r1, uint64_t r2, uint64_t r3,
				   uint64_t r4, uint64_t r5,
				   struct ebpf_exec *x);

struct ebpf_helper {
	uint32_t id;
	const char *name;
	ebpf_helper_fn fn;
};

enum { EBPF_R = 1, EBPF_W = 2, EBPF_RW = 3 };

/* Memory a checked program may touch, besides its stack. */
struct ebpf_region {
	uint64_t addr;
	uint64_t len;
	unsigned perm; /* EBPF_R | EBPF_W */
};

/*
 * One execution: inputs, results and the program's stack. The caller owns
 * it (it can live on the caller's stack or in its heap) and may reuse it
 * for many runs; ebpf_exec_init resets it. Not shared between threads
 * running at the same time.
 */
struct ebpf_exec {
	/* inputs */
	uint64_t arg[5];                 /* r1..r5 on entry */
	uint64_t budget;                 /* instructions; 0 = default */
	struct ebpf_region region[EBPF_MAX_REGIONS];
	unsigned nregion;
	const uint8_t *pkt;              /* for ld_abs / ld_ind */
	uint64_t pkt_len;
	void *user;                      /* the host's, for its helpers */

	/* results */
	uint64_t r0;
	uint64_t executed;               /* instructions charged */
	struct graft_err err;            /* status and message on failure */
	uint32_t err_pc;                 /* pc of the failure */

	/* set by a helper */
	const struct ebpf_prog *tail_call; /* run this program next */
	uint64_t tail_ctx;                 /* ... with this r1 (r2..r5 = 0) */
	bool abort;                        /* ebpf_exec_abort was called */
	/* tail calls taken so far in this run; a tail-call helper should fail
	 * (and let the program go on) when it reaches EBPF_MAX_TAIL_CALLS,
	 * else the run stops with GRAFT_EHELPER */
	unsigned tail_calls;

	/* the program's frames; frame 0 is at the top */
	_Alignas(16) uint8_t stack[EBPF_STACK_SIZE * EBPF_MAX_FRAMES];
};

/* Zero results and regions, keep nothing from an earlier run. */
void ebpf_exec_init(struct ebpf_exec *x);

/* Add a region; GRAFT_ENOMEM when EBPF_MAX_REGIONS are in use. */
enum graft_status ebpf_exec_add_region(struct ebpf_exec *x, const void *p,
				       uint64_t len, unsigned perm);

/* For helpers: may the program's pointer [addr, addr+len) be accessed? */
bool ebpf_exec_access_ok(const struct ebpf_exec *x, uint64_t addr,
			 uint64_t len, unsigned perm);

/* For helpers: stop the program with GRAFT_EHELPER and this message. */
uint64_t ebpf_exec_abort(struct ebpf_exec *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ----------------------------------------------------------------------- */
/* Loading and running                                                     */

enum {
	EBPF_F_UNCHECKED = 1u << 0, /* no memory checks or budget: verified code */
	EBPF_F_JIT = 1u << 1,       /* compile to x86-64 at load */
	/* unsigned 64-bit division: always the 64-bit divide, never the
	 * (by default tried first) 32-bit one the operands may allow */
	EBPF_F_JIT_DIV64 = 1u << 2,
};

/*
 * Resolves an lddw whose src is a pseudo kind (map fd, map value, ...) to
 * the 64-bit value the program sees. pair[0] and pair[1] are the two slots.
 */
typedef enum graft_status (*ebpf_ld64_fn)(void *ud,
					  const struct ebpf_insn pair[2],
					  uint64_t *value,
					  struct graft_err *err);

/*
 * Executable memory for the JIT, supplied by the caller (library code
 * cannot take it from an allocator). install copies `size` bytes of
 * finished code into memory that is readable and executable and returns
 * it (NULL on failure); release gives it back. The memory must never be
 * writable and executable at once (W^X).
 */
struct ebpf_codemem {
	void *(*install)(void *ud, const void *code, size_t size);
	void (*release)(void *ud, void *p, size_t size);
	void *ud;
};

/*
 * Two implementations without state (lib/ebpf/codemem_posix.c):
 * ebpf_codemem_posix maps read-write pages, copies, then mprotects them to
 * read+execute; ebpf_codemem_memfd writes the code into a memfd and maps
 * it read+execute only (never writable at all; fewer page-table changes,
 * so cheaper), falling back to the first where memfd_create is missing.
 */
extern const struct ebpf_codemem ebpf_codemem_posix;
extern const struct ebpf_codemem ebpf_codemem_memfd;

struct ebpf_load_opts {
	const struct ebpf_helper *helpers; /* any order, IDs unique */
	size_t nhelpers;
	uint32_t max_insns;                /* 0 = EBPF_DEFAULT_MAX_INSNS */
	unsigned flags;                    /* EBPF_F_* */
	ebpf_ld64_fn resolve_ld64;         /* NULL: pseudo lddw is an error */
	void *resolve_ud;
	struct graft_alloc alloc;          /* required */
	/* code memory for EBPF_F_JIT; NULL = ebpf_codemem_memfd */
	const struct ebpf_codemem *codemem;
};

/*
 * Check a program without loading it: every opcode and variant, registers
 * (no writes to r10), unused fields zero, jump and local-call targets inside
 * the program and not into the second slot of an lddw, complete lddw pairs,
 * known helper IDs, a last instruction that cannot fall off the end, size
 * within max_insns. The message names the pc and the reason.
 */
enum graft_status ebpf_validate(const struct ebpf_insn *insns, size_t n,
				const struct ebpf_load_opts *opts,
				struct graft_err *err);

/* Validate, pre-decode and (with EBPF_F_JIT) compile a program. */
enum graft_status ebpf_prog_load(struct ebpf_prog **out,
				 const struct ebpf_insn *insns, size_t n,
				 const struct ebpf_load_opts *opts,
				 struct graft_err *err);
void ebpf_prog_free(struct ebpf_prog *prog);

/* The instructions as loaded (before pre-decoding). */
const struct ebpf_insn *ebpf_prog_insns(const struct ebpf_prog *prog,
					size_t *n);
unsigned ebpf_prog_flags(const struct ebpf_prog *prog);

/*
 * Run a program: the JIT's code when it was compiled, else the interpreter.
 * r0 and `executed` land in *x; on failure x->err holds status and message
 * and x->err_pc the pc. Returns x->err.status.
 */
enum graft_status ebpf_prog_run(const struct ebpf_prog *prog,
				struct ebpf_exec *x);
/*
 * The cheapest call, for hosts that run one program very often (what
 * ubpf's compiled function is to its users): a program loaded with
 * EBPF_F_JIT | EBPF_F_UNCHECKED that can neither fail nor stop early (no
 * helper calls, callx, local calls or packet loads) has a direct entry,
 * `r0 = fn(x)`, that runs it on x->arg and x->stack. Unlike
 * ebpf_prog_run it sets none of x's results (r0, executed, err keep what
 * they held). NULL for every other program: call ebpf_prog_run.
 */
typedef uint64_t (*ebpf_direct_fn)(struct ebpf_exec *x);
ebpf_direct_fn ebpf_prog_direct(const struct ebpf_prog *prog);

/*
 * The machine code EBPF_F_JIT made for a program (for `graft disasm --jit`
 * and benchmarks), or NULL when it was not compiled. *size gets its length.
 */
const void *ebpf_prog_jit_code(const struct ebpf_prog *prog, size_t *size);

/* Always the interpreter (for differential tests). */
enum graft_status ebpf_prog_interp(const struct ebpf_prog *prog,
				   struct ebpf_exec *x);

#endif
