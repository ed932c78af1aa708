/* Programs in and out of files: raw slots, assembly text. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "graft/asm.h"
#include "prog_io.h"

struct ebpf_insn *prog_from_bytes(const char *path, const char *buf,
				  size_t len, size_t *n)
{
	if (len % 8) {
		cli_error("%s: %zu bytes is not a whole number of 8-byte instructions%s",
			  path, len,
			  looks_like_text(buf, len) ? " (assembly text? `graft asm` "
						      "turns it into instructions)"
						    : "");
		return NULL;
	}
	struct ebpf_insn *p = malloc(len ? len : 8);
	if (!p) {
		cli_error("%s: out of memory", path);
		return NULL;
	}
	const uint8_t *b = (const uint8_t *)buf;
	for (size_t i = 0; i < len / 8; i++, b += 8)
		p[i] = (struct ebpf_insn){
			.code = b[0], .dst = b[1] & 0xf, .src = b[1] >> 4,
			.off = (int16_t)(uint16_t)(b[2] | b[3] << 8),
			.imm = (int32_t)((uint32_t)b[4] | (uint32_t)b[5] << 8 |
					 (uint32_t)b[6] << 16 | (uint32_t)b[7] << 24),
		};
	*n = len / 8;
	return p;
}

struct ebpf_insn *prog_from_text(const char *path, const char *text,
				 size_t len, size_t *n)
{
	/* every slot costs at least 2 bytes of text ("exit\n" is 1 slot in 5) */
	size_t cap = len / 2 + 2;
	struct ebpf_insn *p = malloc(cap * sizeof *p);
	if (!p) {
		cli_error("%s: out of memory", path);
		return NULL;
	}
	struct graft_err err = { 0 };
	if (bpfasm_assemble(text, len, p, cap, n, &err)) {
		cli_error("%s: %s", strcmp(path, "-") ? path : "<stdin>", err.msg);
		free(p);
		return NULL;
	}
	return p;
}

void insn_to_bytes(const struct ebpf_insn *in, uint8_t out[8])
{
	uint16_t off = (uint16_t)in->off;
	uint32_t imm = (uint32_t)in->imm;
	out[0] = in->code;
	out[1] = (uint8_t)(in->dst | in->src << 4);
	out[2] = (uint8_t)off;
	out[3] = (uint8_t)(off >> 8);
	for (int i = 0; i < 4; i++)
		out[4 + i] = (uint8_t)(imm >> (8 * i));
}

bool looks_like_text(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];
		if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || c == 0x7f)
			return false; /* bytes >= 0x80 pass: UTF-8 in comments */
	}
	return true;
}

bool has_ext(const char *path, const char *const *exts)
{
	size_t pl = strlen(path);
	for (; *exts; exts++) {
		size_t el = strlen(*exts);
		if (pl > el && !strcmp(path + pl - el, *exts))
			return true;
	}
	return false;
}
