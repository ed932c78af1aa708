/* bench/verify/elfprog.c — see elfprog.h. */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "elfprog.h"

#define MAX_SECS 512

struct sec {
	const char *name;
	GElf_Shdr sh;
	Elf_Data *data;
	struct ebpf_insn *code; /* relocated copy (exec sections) */
	size_t n;
	int map_idx;            /* data sections: their array map */
	const char **bad;       /* per insn: why it cannot be prepared */
};

struct elfctx {
	Elf *e;
	struct sec secs[MAX_SECS];
	size_t nsecs;
	GElf_Sym *syms;
	const char **symnames;
	size_t nsyms;
	int maps_shndx;
	long map_off[EP_MAX_MAPS];
};

static void btf_maps(struct elfctx *c, struct btf *btf, struct ep_obj *o)
{
	int id = btf__find_by_name_kind(btf, ".maps", BTF_KIND_DATASEC);
	if (id < 0)
		return;
	const struct btf_type *ds = btf__type_by_id(btf, (unsigned)id);
	const struct btf_var_secinfo *vs = btf_var_secinfos(ds);
	for (unsigned i = 0; i < btf_vlen(ds) && o->nmaps < EP_MAX_MAPS; i++) {
		const struct btf_type *var = btf__type_by_id(btf, vs[i].type);
		const struct btf_type *st = btf__type_by_id(btf, var->type);
		while (st && (btf_is_mod(st) || btf_is_typedef(st)))
			st = btf__type_by_id(btf, st->type);
		struct verify_map m = { 0, 0, 0, 0, 0 };
		if (st && btf_is_struct(st)) {
			const struct btf_member *mb = btf_members(st);
			for (unsigned k = 0; k < btf_vlen(st); k++) {
				const char *mn = btf__name_by_offset(btf,
								     mb[k].name_off);
				const struct btf_type *pt =
					btf__type_by_id(btf, mb[k].type);
				if (!pt || !btf_is_ptr(pt))
					continue;
				const struct btf_type *tt =
					btf__type_by_id(btf, pt->type);
				uint32_t val = 0;
				if (tt && btf_is_array(tt))
					val = btf_array(tt)->nelems;
				long sz = btf__resolve_size(btf, pt->type);
				if (!strcmp(mn, "type")) m.type = val;
				else if (!strcmp(mn, "max_entries")) m.max_entries = val;
				else if (!strcmp(mn, "key_size")) m.key_size = val;
				else if (!strcmp(mn, "value_size")) m.value_size = val;
				else if (!strcmp(mn, "map_flags")) m.flags = val;
				else if (!strcmp(mn, "key") && sz > 0) m.key_size = (uint32_t)sz;
				else if (!strcmp(mn, "value") && sz > 0) m.value_size = (uint32_t)sz;
			}
		}
		if (m.type == VERIFY_MAP_PROG_ARRAY && !m.value_size)
			m.key_size = 4, m.value_size = 4;
		if (m.type == VERIFY_MAP_RINGBUF)
			m.key_size = 0, m.value_size = 0;
		c->map_off[o->nmaps] = vs[i].offset;
		snprintf(o->map_names[o->nmaps], 64, "%s",
			 btf__name_by_offset(btf, var->name_off));
		o->maps[o->nmaps++] = m;
	}
}

/* By name: clang leaves .maps offsets in BTF at 0 (libbpf fixes them up
 * from the symbol table), so the symbol's name is what identifies it. */
static int find_map(struct ep_obj *o, const char *name)
{
	for (size_t i = 0; name && i < o->nmaps; i++)
		if (!strcmp(o->map_names[i], name))
			return (int)i;
	return -1;
}

static void relocate(struct elfctx *c, struct ep_obj *o, size_t si,
		     Elf_Data *rd, const GElf_Shdr *rsh)
{
	struct sec *s = &c->secs[si];
	size_t nrel = rsh->sh_size / rsh->sh_entsize;
	for (size_t i = 0; i < nrel; i++) {
		GElf_Rel r;
		if (!gelf_getrel(rd, (int)i, &r))
			continue;
		size_t symi = GELF_R_SYM(r.r_info);
		size_t pc = r.r_offset / 8;
		if (symi >= c->nsyms || pc >= s->n)
			continue;
		GElf_Sym *sym = &c->syms[symi];
		struct ebpf_insn *in = &s->code[pc];
		if (in->code == 0x18 && pc + 1 < s->n) {
			if (sym->st_shndx == c->maps_shndx) {
				int m = find_map(o, c->symnames[symi]);
				if (m < 0) {
					s->bad[pc] = "unknown map symbol";
					continue;
				}
				in->src = EBPF_PSEUDO_MAP_IDX;
				in->imm = m;
				continue;
			}
			if (sym->st_shndx > 0 && sym->st_shndx < c->nsecs &&
			    c->secs[sym->st_shndx].map_idx >= 0) {
				long off = in->imm + (GELF_ST_TYPE(sym->st_info) ==
						      STT_SECTION ? 0 :
						      (long)sym->st_value);
				in->src = EBPF_PSEUDO_MAP_IDX_VALUE;
				in->imm = c->secs[sym->st_shndx].map_idx;
				s->code[pc + 1].imm = (int32_t)off;
				continue;
			}
			if (sym->st_shndx > 0 && sym->st_shndx < c->nsecs &&
			    (c->secs[sym->st_shndx].sh.sh_flags & SHF_EXECINSTR)) {
				s->bad[pc] = "function pointer (callback)";
				continue;
			}
			s->bad[pc] = "extern or ksym lddw";
			continue;
		}
		if (in->code == 0x85 && in->src == EBPF_CALL_LOCAL) {
			/* target: sym_off/8 + imm + 1 in the symbol's section;
			 * remember it as (section, index) in off/imm for later */
			continue;
		}
		if (in->code == 0x85) {
			s->bad[pc] = "kfunc call";
			continue;
		}
	}
}

/* Build one program: its function, then whole sections it calls into. */
static void build_prog(struct elfctx *c, struct ep_prog *p, size_t si,
		       size_t start, size_t len, Elf_Data **reldata,
		       GElf_Shdr *relsh)
{
	size_t cap = len + 64, n = 0;
	struct ebpf_insn *out = malloc(cap * sizeof *out);
	size_t base[MAX_SECS];
	for (size_t i = 0; i < c->nsecs; i++)
		base[i] = (size_t)-1;
	/* the program's own range maps into out at 0 */
	memcpy(out, c->secs[si].code + start, len * sizeof *out);
	n = len;
	for (size_t k = 0; k < len; k++)
		if (c->secs[si].bad[start + k] && !p->unsupported[0])
			snprintf(p->unsupported, sizeof p->unsupported, "%s",
				 c->secs[si].bad[start + k]);
	/* pieces: (section, start, len, offset in out) */
	struct piece { size_t sec, start, len, at; } piece[MAX_SECS + 1];
	size_t np = 0;
	piece[np++] = (struct piece){ si, start, len, 0 };
	for (size_t pi = 0; pi < np; pi++) {
		size_t ps = piece[pi].sec;
		for (size_t k = 0; k < piece[pi].len; k++) {
			size_t spc = piece[pi].start + k, opc = piece[pi].at + k;
			struct ebpf_insn *in = &out[opc];
			if (in->code != 0x85 || in->src != EBPF_CALL_LOCAL)
				continue;
			/* find its relocation, if any */
			size_t tsec = ps;
			long tidx = (long)spc + in->imm + 1;
			Elf_Data *rd = reldata[ps];
			if (rd) {
				size_t nrel = relsh[ps].sh_size / relsh[ps].sh_entsize;
				for (size_t i = 0; i < nrel; i++) {
					GElf_Rel r;
					if (!gelf_getrel(rd, (int)i, &r) ||
					    r.r_offset / 8 != spc)
						continue;
					GElf_Sym *sym = &c->syms[GELF_R_SYM(r.r_info)];
					tsec = sym->st_shndx;
					tidx = (long)(sym->st_value / 8) + in->imm + 1;
				}
			}
			if (tsec == SHN_UNDEF) {
				snprintf(p->unsupported, sizeof p->unsupported,
					 "kfunc call (extern function)");
				continue;
			}
			if (tsec >= c->nsecs || !c->secs[tsec].code || tidx < 0 ||
			    (size_t)tidx >= c->secs[tsec].n) {
				snprintf(p->unsupported, sizeof p->unsupported,
					 "unresolved call");
				continue;
			}
			/* inside a piece already placed? */
			long dest = -1;
			for (size_t q = 0; q < np; q++)
				if (piece[q].sec == tsec &&
				    (size_t)tidx >= piece[q].start &&
				    (size_t)tidx < piece[q].start + piece[q].len)
					dest = (long)(piece[q].at + (size_t)tidx -
						      piece[q].start);
			if (dest < 0) {
				if (base[tsec] != (size_t)-1 || np == MAX_SECS) {
					snprintf(p->unsupported,
						 sizeof p->unsupported,
						 "unresolved call");
					continue;
				}
				size_t tl = c->secs[tsec].n;
				if (n + tl > cap) {
					cap = (n + tl) * 2;
					out = realloc(out, cap * sizeof *out);
					in = &out[opc];
				}
				memcpy(out + n, c->secs[tsec].code, tl * sizeof *out);
				base[tsec] = n;
				piece[np++] = (struct piece){ tsec, 0, tl, n };
				for (size_t q = 0; q < tl; q++)
					if (c->secs[tsec].bad[q] &&
					    !p->unsupported[0])
						snprintf(p->unsupported,
							 sizeof p->unsupported,
							 "%s", c->secs[tsec].bad[q]);
				dest = (long)(n + (size_t)tidx);
				n += tl;
			}
			in->imm = (int32_t)(dest - (long)opc - 1);
		}
	}
	p->insns = out;
	p->n = n;
}

int ep_open(const char *path, struct ep_obj *o, char *err, size_t errlen)
{
	memset(o, 0, sizeof *o);
	elf_version(EV_CURRENT);
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s", path);
		return -1;
	}
	struct elfctx c;
	memset(&c, 0, sizeof c);
	c.maps_shndx = -1;
	c.e = elf_begin(fd, ELF_C_READ, NULL);
	size_t shstrndx;
	if (!c.e || elf_getshdrstrndx(c.e, &shstrndx)) {
		snprintf(err, errlen, "not an ELF file");
		close(fd);
		return -1;
	}
	struct btf *btf = btf__parse_elf(path, NULL);
	if (btf && !libbpf_get_error(btf))
		btf_maps(&c, btf, o);
	else
		btf = NULL;
	Elf_Scn *scn = NULL;
	Elf_Data *reldata[MAX_SECS] = { 0 };
	GElf_Shdr relsh[MAX_SECS];
	size_t symsec = 0;
	c.nsecs = 1;
	while ((scn = elf_nextscn(c.e, scn)) && c.nsecs < MAX_SECS) {
		size_t idx = elf_ndxscn(scn);
		if (idx >= MAX_SECS)
			break;
		struct sec *s = &c.secs[idx];
		gelf_getshdr(scn, &s->sh);
		s->name = elf_strptr(c.e, shstrndx, s->sh.sh_name);
		s->data = elf_getdata(scn, NULL);
		s->map_idx = -1;
		if (idx + 1 > c.nsecs)
			c.nsecs = idx + 1;
		if (s->sh.sh_type == SHT_SYMTAB)
			symsec = idx;
		if (s->name && !strcmp(s->name, ".maps"))
			c.maps_shndx = (int)idx;
		if (s->name && s->sh.sh_flags & SHF_ALLOC &&
		    !(s->sh.sh_flags & SHF_EXECINSTR) &&
		    (!strncmp(s->name, ".rodata", 7) ||
		     !strncmp(s->name, ".data", 5) ||
		     !strncmp(s->name, ".bss", 4)) && o->nmaps < EP_MAX_MAPS) {
			s->map_idx = (int)o->nmaps;
			c.map_off[o->nmaps] = -1;
			snprintf(o->map_names[o->nmaps], 64, "%s", s->name);
			o->maps[o->nmaps++] = (struct verify_map){
				VERIFY_MAP_ARRAY, 4,
				(uint32_t)(s->sh.sh_size ? s->sh.sh_size : 1), 1,
				!strncmp(s->name, ".rodata", 7) ?
					VERIFY_MAP_F_RDONLY_PROG : 0 };
		}
		if (s->sh.sh_type == SHT_PROGBITS &&
		    (s->sh.sh_flags & SHF_EXECINSTR) && s->data) {
			s->n = s->data->d_size / 8;
			s->code = malloc(s->n * 8 + 8);
			s->bad = calloc(s->n + 1, sizeof *s->bad);
			memcpy(s->code, s->data->d_buf, s->n * 8);
		}
	}
	if (symsec) {
		Elf_Data *sd = c.secs[symsec].data;
		c.nsyms = c.secs[symsec].sh.sh_size / c.secs[symsec].sh.sh_entsize;
		c.syms = calloc(c.nsyms, sizeof *c.syms);
		c.symnames = calloc(c.nsyms, sizeof *c.symnames);
		for (size_t i = 0; i < c.nsyms; i++) {
			gelf_getsym(sd, (int)i, &c.syms[i]);
			c.symnames[i] = elf_strptr(c.e, c.secs[symsec].sh.sh_link,
						   c.syms[i].st_name);
		}
	}
	for (size_t i = 1; i < c.nsecs; i++) {
		struct sec *s = &c.secs[i];
		if (s->sh.sh_type != SHT_REL || s->sh.sh_info >= c.nsecs ||
		    !c.secs[s->sh.sh_info].code)
			continue;
		reldata[s->sh.sh_info] = s->data;
		relsh[s->sh.sh_info] = s->sh;
		relocate(&c, o, s->sh.sh_info, s->data, &s->sh);
	}
	for (size_t i = 0; i < c.nsyms && o->nprogs < EP_MAX_PROGS; i++) {
		GElf_Sym *sym = &c.syms[i];
		if (GELF_ST_TYPE(sym->st_info) != STT_FUNC ||
		    GELF_ST_BIND(sym->st_info) != STB_GLOBAL ||
		    sym->st_shndx >= c.nsecs || !c.secs[sym->st_shndx].code)
			continue;
		struct sec *s = &c.secs[sym->st_shndx];
		if (!strcmp(s->name, ".text"))
			continue;
		struct ep_prog *p = &o->progs[o->nprogs++];
		snprintf(p->name, sizeof p->name, "%s", c.symnames[i]);
		snprintf(p->sec, sizeof p->sec, "%s", s->name);
		size_t start = sym->st_value / 8, len = sym->st_size / 8;
		if (!len || start + len > s->n)
			len = s->n - start;
		build_prog(&c, p, sym->st_shndx, start, len, reldata, relsh);
	}
	for (size_t i = 0; i < c.nsecs; i++) {
		free(c.secs[i].code);
		free(c.secs[i].bad);
	}
	free(c.syms);
	free(c.symnames);
	if (btf)
		btf__free(btf);
	elf_end(c.e);
	close(fd);
	return 0;
}

void ep_close(struct ep_obj *o)
{
	for (size_t i = 0; i < o->nprogs; i++)
		free(o->progs[i].insns);
}
