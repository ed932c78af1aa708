/*
 * tests/elf_malformed.c — every kind of malformed object the loader must
 * refuse with an error (never a crash): truncation at every length,
 * targeted corruption of each header field, section, symbol, relocation
 * and BTF structure the loader reads, unsupported features (CO-RE, kfuncs)
 * with a message naming section and offset, and 10000 random byte flips.
 * Objects come from $BUILD/examples/bpf.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graft/elf.h"
#include "testlib.h"

static const struct graft_alloc A = { t_heap_alloc, t_heap_free, NULL };

static uint8_t *load(const char *name, size_t *len)
{
	const char *b = getenv("BUILD");
	char path[512];
	snprintf(path, sizeof path, "%s/examples/bpf/%s.o", b && *b ? b : "build",
		 name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	uint8_t *buf = malloc(1 << 20);
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

static enum graft_status try(const uint8_t *buf, size_t len, char *msg)
{
	struct graft_elf *e = NULL;
	struct graft_err err = { 0 };
	/* a private copy: the loader may read only [0, len) */
	uint8_t *copy = malloc(len ? len : 1);
	memcpy(copy, buf, len);
	enum graft_status st = graft_elf_open(&e, copy, len, &A, &err);
	free(copy);
	if (msg)
		snprintf(msg, GRAFT_ERR_MSG, "%s", err.msg);
	graft_elf_close(e);
	return st;
}

/* Raw access to the test's own copy of the object. */
static uint64_t r64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static uint32_t r32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint16_t r16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static void w64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static void w32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void w16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }

/* The section header of the section called name. */
static uint8_t *shdr(uint8_t *b, const char *name)
{
	uint64_t shoff = r64(b + 40);
	uint16_t n = r16(b + 60), strndx = r16(b + 62);
	uint8_t *strs = b + r64(b + shoff + 64ull * strndx + 24);
	for (uint16_t i = 0; i < n; i++) {
		uint8_t *h = b + shoff + 64ull * i;
		if (!strcmp((char *)strs + r32(h), name))
			return h;
	}
	return NULL;
}

static uint8_t *sdata(uint8_t *b, const char *name)
{
	uint8_t *h = shdr(b, name);
	return h ? b + r64(h + 24) : NULL;
}

struct mut {
	const char *obj, *what;
	void (*fn)(uint8_t *b);
	enum graft_status want;
	const char *msg;
};

static void m_magic(uint8_t *b) { b[1] = 'X'; }
static void m_class(uint8_t *b) { b[4] = 1; }
static void m_endian(uint8_t *b) { b[5] = 2; }
static void m_type(uint8_t *b) { w16(b + 16, 2); }
static void m_machine(uint8_t *b) { w16(b + 18, 62); }
static void m_shentsize(uint8_t *b) { w16(b + 58, 40); }
static void m_shnum0(uint8_t *b) { w16(b + 60, 0); }
static void m_shoff(uint8_t *b) { w64(b + 40, 1ull << 40); }
static void m_shoff_wrap(uint8_t *b) { w64(b + 40, ~0ull - 8); }
static void m_shstrndx(uint8_t *b) { w16(b + 62, 999); }
static void m_sec_off(uint8_t *b) { w64(shdr(b, "xdp") + 24, 1ull << 33); }
static void m_sec_size(uint8_t *b) { w64(shdr(b, "xdp") + 32, ~0ull); }
static void m_overlap(uint8_t *b)
{
	w64(shdr(b, "license") + 24, r64(shdr(b, "xdp") + 24) + 8);
}
static void m_overlap_hdr(uint8_t *b) { w64(shdr(b, "license") + 24, 8); }
static void m_sec_name(uint8_t *b) { w32(shdr(b, "xdp"), 0x7fffffff); }
static void m_code_size(uint8_t *b) { w64(shdr(b, "xdp") + 32, 13); }
static void m_symtab_ent(uint8_t *b) { w64(shdr(b, ".symtab") + 56, 16); }
static void m_symtab_link(uint8_t *b) { w32(shdr(b, ".symtab") + 40, 999); }
static void m_sym_name(uint8_t *b) { w32(sdata(b, ".symtab") + 24, 0xffffff); }
static void m_sym_shndx(uint8_t *b)
{
	uint8_t *s = sdata(b, ".symtab");
	uint64_t n = r64(shdr(b, ".symtab") + 32) / 24;
	w16(s + 24 * (n - 1) + 6, 999);
}
static void m_sym_value(uint8_t *b)
{
	uint8_t *s = sdata(b, ".symtab");
	uint64_t n = r64(shdr(b, ".symtab") + 32) / 24;
	w64(s + 24 * (n - 1) + 8, 1ull << 40);
}
static void m_rel_off(uint8_t *b) { w64(sdata(b, ".relxdp"), 1u << 20); }
static void m_rel_align(uint8_t *b) { w64(sdata(b, ".relxdp"), r64(sdata(b, ".relxdp")) + 3); }
static void m_rel_sym(uint8_t *b) { w32(sdata(b, ".relxdp") + 12, 0xfffff); }
static void m_rel_type(uint8_t *b) { w32(sdata(b, ".relxdp") + 8, 7); }
static void m_rel_not_lddw(uint8_t *b)
{
	w64(sdata(b, ".relxdp"), r64(sdata(b, ".relxdp")) + 16);
}
static void m_rel_entsize(uint8_t *b) { w64(shdr(b, ".relxdp") + 56, 24); }
static void m_rel_target(uint8_t *b) { w32(shdr(b, ".relxdp") + 44, 999); }
static void m_rela(uint8_t *b) { w32(shdr(b, ".relxdp") + 4, 4); }
static void m_btf_magic(uint8_t *b) { sdata(b, ".BTF")[0] = 0; }
static void m_btf_types(uint8_t *b) { w32(sdata(b, ".BTF") + 12, 1u << 30); }
static void m_btf_strs(uint8_t *b) { w32(sdata(b, ".BTF") + 16, 1u << 30); }
static void m_btf_kind(uint8_t *b)
{
	uint8_t *t = sdata(b, ".BTF");
	w32(t + r32(t + 4) + r32(t + 8) + 4, 31u << 24);
}
static void m_btf_vlen(uint8_t *b)
{
	uint8_t *t = sdata(b, ".BTF");
	uint8_t *first = t + r32(t + 4) + r32(t + 8);
	w32(first + 4, 4u << 24 | 0xffff); /* a struct of 65535 members */
}
static void m_btf_name(uint8_t *b)
{
	uint8_t *t = sdata(b, ".BTF");
	w32(t + r32(t + 4) + r32(t + 8), 0x7fffffff);
}
static void m_ext_magic(uint8_t *b) { sdata(b, ".BTF.ext")[1] = 0; }
static void m_ext_off(uint8_t *b) { w32(sdata(b, ".BTF.ext") + 8, 1u << 30); }
static void m_ext_rec(uint8_t *b)
{
	uint8_t *x = sdata(b, ".BTF.ext");
	w32(x + r32(x + 4) + r32(x + 16), 3);
}
static void m_ext_num(uint8_t *b)
{
	uint8_t *x = sdata(b, ".BTF.ext");
	w32(x + r32(x + 4) + r32(x + 16) + 8, 1u << 28);
}
static void m_no_symtab(uint8_t *b) { w32(shdr(b, ".symtab") + 4, 1); }
static void m_maps_size(uint8_t *b) { w64(shdr(b, ".maps") + 32, 8); }
static void m_strtab_unterminated(uint8_t *b)
{
	uint8_t *h = shdr(b, ".strtab");
	uint8_t *s = b + r64(h + 24);
	uint64_t n = r64(h + 32);
	memset(s, 'A', n);
}

static const struct mut muts[] = {
	{ "counter", "bad magic", m_magic, GRAFT_EINVAL, "not an ELF" },
	{ "counter", "ELF32", m_class, GRAFT_ENOTSUP, "ELF64" },
	{ "counter", "big-endian", m_endian, GRAFT_ENOTSUP, "little-endian" },
	{ "counter", "executable", m_type, GRAFT_ENOTSUP, "relocatable" },
	{ "counter", "x86 machine", m_machine, GRAFT_ENOTSUP, "EM_BPF" },
	{ "counter", "section header size", m_shentsize, GRAFT_EINVAL, "header size" },
	{ "counter", "no sections", m_shnum0, GRAFT_EINVAL, "section count" },
	{ "counter", "headers past the end", m_shoff, GRAFT_EINVAL, "past the end" },
	{ "counter", "header offset wraps", m_shoff_wrap, GRAFT_EINVAL, "past the end" },
	{ "counter", "name table index", m_shstrndx, GRAFT_EINVAL, "out of range" },
	{ "counter", "section offset", m_sec_off, GRAFT_EINVAL, "past the end" },
	{ "counter", "section size", m_sec_size, GRAFT_EINVAL, "past the end" },
	{ "counter", "overlapping sections", m_overlap, GRAFT_EINVAL, "overlap" },
	{ "counter", "section over the header", m_overlap_hdr, GRAFT_EINVAL, "overlaps the ELF" },
	{ "counter", "section name index", m_sec_name, GRAFT_EINVAL, "bad name index" },
	{ "counter", "code size not 8k", m_code_size, GRAFT_EINVAL, "multiple of 8" },
	{ "counter", "symbol entry size", m_symtab_ent, GRAFT_EINVAL, "symbol table" },
	{ "counter", "symbol strings", m_symtab_link, GRAFT_EINVAL, "string table" },
	{ "counter", "symbol name", m_sym_name, GRAFT_EINVAL, "bad name index" },
	{ "counter", "symbol section", m_sym_shndx, GRAFT_EINVAL, "section index" },
	{ "counter", "symbol value", m_sym_value, GRAFT_EINVAL, "outside section" },
	{ "counter", "no symbol table", m_no_symtab, GRAFT_EINVAL, "no symbol table" },
	{ "counter", "unterminated strings", m_strtab_unterminated, GRAFT_EINVAL, "name" },
	{ "counter", "relocation offset", m_rel_off, GRAFT_EINVAL, "outside xdp" },
	{ "counter", "relocation alignment", m_rel_align, GRAFT_EINVAL, "outside xdp" },
	{ "counter", "relocation symbol", m_rel_sym, GRAFT_EINVAL, "out of range" },
	{ "counter", "relocation type", m_rel_type, GRAFT_ENOTSUP, "type 7" },
	{ "counter", "relocation not on lddw", m_rel_not_lddw, GRAFT_EINVAL, "no lddw" },
	{ "counter", "relocation entry size", m_rel_entsize, GRAFT_EINVAL, "relocation section" },
	{ "counter", "relocation target", m_rel_target, GRAFT_EINVAL, "target 999" },
	{ "counter", "RELA", m_rela, GRAFT_ENOTSUP, "RELA" },
	{ "counter", "BTF magic", m_btf_magic, GRAFT_EINVAL, "magic" },
	{ "counter", "BTF type length", m_btf_types, GRAFT_EINVAL, "out of range" },
	{ "counter", "BTF string length", m_btf_strs, GRAFT_EINVAL, "out of range" },
	{ "counter", "BTF kind", m_btf_kind, GRAFT_EINVAL, "unknown kind" },
	{ "counter", "BTF vlen", m_btf_vlen, GRAFT_EINVAL, "runs past" },
	{ "counter", "BTF name", m_btf_name, GRAFT_EINVAL, "name offset" },
	{ "counter", ".maps too small", m_maps_size, GRAFT_EINVAL, "outside section .maps" },
	{ "calls", "BTF.ext magic", m_ext_magic, GRAFT_EINVAL, "magic" },
	{ "calls", "BTF.ext offsets", m_ext_off, GRAFT_EINVAL, "out of range" },
	{ "calls", "BTF.ext record size", m_ext_rec, GRAFT_EINVAL, "record size" },
	{ "calls", "BTF.ext record count", m_ext_num, GRAFT_EINVAL, "run past" },
};

static void test_mutations(void)
{
	for (size_t i = 0; i < sizeof muts / sizeof muts[0]; i++) {
		size_t len;
		uint8_t *b = load(muts[i].obj, &len);
		if (!T_CHECK(b, "%s: object missing", muts[i].obj))
			continue;
		muts[i].fn(b);
		char msg[GRAFT_ERR_MSG];
		enum graft_status st = try(b, len, msg);
		T_CHECK(st == muts[i].want && strstr(msg, muts[i].msg),
			"%s: got %s \"%s\", want %s \"%s\"", muts[i].what,
			graft_status_name(st), msg, graft_status_name(muts[i].want),
			muts[i].msg);
		free(b);
	}
	printf("mutations: %zu malformed objects refused with the right error\n",
	       sizeof muts / sizeof muts[0]);
}

static void test_truncation(void)
{
	const char *objs[] = { "counter", "calls", "tailcall", "globals" };
	unsigned bad = 0, total = 0;
	for (size_t o = 0; o < 4; o++) {
		size_t len;
		uint8_t *b = load(objs[o], &len);
		if (!T_CHECK(b, "%s missing", objs[o]))
			continue;
		T_CHECK(try(b, len, NULL) == GRAFT_OK, "%s loads whole", objs[o]);
		/* every prefix of the first, every 7th of the others */
		for (size_t n = 0; n < len; n += o ? 7 : 1, total++)
			bad += try(b, n, NULL) == GRAFT_OK;
		free(b);
	}
	T_CHECK(bad == 0, "%u of %u truncated objects were accepted", bad, total);
	printf("truncation: %u prefixes of 4 objects refused\n", total);
}

static void test_unsupported(void)
{
	struct { const char *obj, *msg; } u[] = {
		{ "bad/core_reloc", "section xdp offset 8: CO-RE relocation" },
		{ "bad/kfunc", "section xdp offset 0: call of kfunc bpf_rcu_read_lock" },
	};
	for (size_t i = 0; i < 2; i++) {
		size_t len;
		uint8_t *b = load(u[i].obj, &len);
		char msg[GRAFT_ERR_MSG] = "";
		enum graft_status st = b ? try(b, len, msg) : GRAFT_OK;
		T_CHECK(st == GRAFT_ENOTSUP && strstr(msg, u[i].msg), "%s: %s", u[i].obj,
			msg);
		free(b);
	}
	printf("unsupported: CO-RE and kfunc refused naming section and offset\n");
}

static void test_flips(void)
{
	const char *objs[] = { "counter", "tailcall", "strings", "ringbuf" };
	uint32_t s = 1;
	unsigned accepted = 0, runs = 0;
	for (size_t o = 0; o < 4; o++) {
		size_t len;
		uint8_t *orig = load(objs[o], &len);
		if (!orig)
			continue;
		uint8_t *b = malloc(len);
		for (int it = 0; it < 2500; it++, runs++) {
			memcpy(b, orig, len);
			for (int k = 0; k < 1 + it % 4; k++) {
				s = s * 1103515245 + 12345;
				size_t at = (s >> 4) % len;
				s = s * 1103515245 + 12345;
				b[at] ^= (uint8_t)(1u << ((s >> 8) & 7));
			}
			accepted += try(b, len, NULL) == GRAFT_OK;
		}
		free(b);
		free(orig);
	}
	T_CHECK(runs == 10000, "all flip runs done");
	printf("flips: 10000 corrupted objects parsed without a crash (%u "
	       "still valid: flips in debug info)\n", accepted);
}

int main(void)
{
	test_mutations();
	test_truncation();
	test_unsupported();
	test_flips();
	return t_done();
}
