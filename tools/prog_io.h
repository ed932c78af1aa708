/* tools/prog_io.h — programs in and out of files for asm, disasm and run. */
#ifndef GRAFT_TOOLS_PROG_IO_H
#define GRAFT_TOOLS_PROG_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "graft/ebpf.h"

/* Slots of raw little-endian bytes; NULL (after printing why) on error. */
struct ebpf_insn *prog_from_bytes(const char *path, const char *buf,
				  size_t len, size_t *n);

/* Assemble text; NULL (after printing "PATH: line L, column C: why"). */
struct ebpf_insn *prog_from_text(const char *path, const char *text,
				 size_t len, size_t *n);

/* One slot as its 8 wire bytes. */
void insn_to_bytes(const struct ebpf_insn *in, uint8_t out[8]);

/* Does the buffer look like text (no control bytes but tab and newlines)? */
bool looks_like_text(const char *buf, size_t len);

/* Does the path end in one of the given extensions (".s", ".asm", ...)? */
bool has_ext(const char *path, const char *const *exts);

#endif
