/*
 * Assembler and disassembler agree: for every conformance program,
 * assemble -> disassemble (suite syntax) -> assemble gives the same bytes
 * (and the bytes of `-- raw` where the file has it); every opcode-table
 * entry survives the trip; random slots survive it (through `.raw`); the
 * kernel syntax prints as tests/data/asm/kernel.txt says.
 */
#include <dirent.h>
#include <string.h>

#include "asm_datafile.h"
#include "graft/asm.h"
#include "testlib.h"

#define CAP 8192

static struct ebpf_insn a[CAP], b[CAP];
static char text[1 << 20];

static bool same(const struct ebpf_insn *x, size_t nx,
		 const struct ebpf_insn *y, size_t ny)
{
	return nx == ny && !memcmp(x, y, nx * sizeof *x);
}

/* asm(disasm(insns)) == insns; names the first difference on failure. */
static bool round_trip(const struct ebpf_insn *in, size_t n, const char *what)
{
	bpfasm_disassemble(in, n, BPFASM_SUITE, text, sizeof text);
	struct graft_err err = { 0 };
	size_t m = 0;
	if (bpfasm_assemble(text, strlen(text), b, CAP, &m, &err))
		return T_CHECK(0, "%s: disassembly does not assemble: %s\n%s", what,
			       err.msg, text);
	if (!same(in, n, b, m)) {
		size_t i = 0;
		while (i < n && i < m && !memcmp(&in[i], &b[i], sizeof *in))
			i++;
		return T_CHECK(0, "%s: round trip differs at slot %zu\n%s", what, i,
			       text);
	}
	return T_CHECK(1, "%s", what);
}

static void conformance_files(void)
{
	char dir[1024];
	snprintf(dir, sizeof dir, "%s/tests", t_conformance_dir());
	char **names;
	size_t n = df_list(dir, &names), trips = 0, raws = 0;
	T_CHECK(n >= 300, "found %zu conformance files in %s", n, dir);
	for (size_t i = 0; i < n; i++) {
		char path[2048];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		struct datafile *d = malloc(sizeof *d);
		if (!T_CHECK(df_read(path, d), "%s: %s", names[i], d->why)) {
			df_free(d);
			free(d);
			continue;
		}
		struct graft_err err = { 0 };
		size_t m = 0;
		if (T_CHECK(!bpfasm_assemble(d->asm_text, d->asm_len, a, CAP, &m, &err),
			    "%s: %s", names[i], err.msg)) {
			trips += round_trip(a, m, names[i]);
			if (d->has_raw) {
				raws++;
				T_CHECK(same(a, m, d->raw, d->nraw),
					"%s: assembled bytes differ from -- raw", names[i]);
			}
			char kern[1 << 16];
			bpfasm_disassemble(a, m, BPFASM_KERNEL, kern, sizeof kern);
			T_CHECK(!strstr(kern, "unknown") && !strstr(kern, "nonzero"),
				"%s: kernel syntax flags a canonical program:\n%s",
				names[i], kern);
		}
		df_free(d);
		free(d);
		free(names[i]);
	}
	free(names);
	printf("conformance: %zu/%zu files assemble and round-trip exactly, "
	       "%zu match their -- raw\n", trips, n, raws);
}

/* Each table entry, with every field it uses set, survives the trip. */
static void table_entries(void)
{
	unsigned ok = 0;
	for (unsigned i = 0; i < EBPF_OP_COUNT; i++) {
		const struct ebpf_opinfo *e = &ebpf_opinfo[i];
		for (int trial = 0; trial < 3; trial++) {
			int16_t off = (int16_t)(trial ? -5 : 12);
			int32_t imm = trial == 2 ? -123456789 : 42;
			struct ebpf_insn in[2] = { { .code = e->code } }, *x = &in[0];
			/* the fields each format uses (graft/ebpf.h), set to samples */
			switch ((enum ebpf_fmt)e->fmt) {
			case EBPF_FMT_ALU_REG: x->dst = 3; x->src = 7; break;
			case EBPF_FMT_ALU_IMM: x->dst = 3; x->imm = imm; break;
			case EBPF_FMT_NEG: case EBPF_FMT_END: case EBPF_FMT_CALLX: x->dst = 9; break;
			case EBPF_FMT_JA: x->off = off; break;
			case EBPF_FMT_JA32: case EBPF_FMT_CALL: case EBPF_FMT_CALL_LOCAL:
			case EBPF_FMT_LD_ABS: x->imm = imm; break;
			case EBPF_FMT_JCOND_IMM: x->dst = 3; x->imm = imm; x->off = off; break;
			case EBPF_FMT_JCOND_REG: x->dst = 3; x->src = 10; x->off = off; break;
			case EBPF_FMT_EXIT: break;
			case EBPF_FMT_LDDW: x->dst = 4; x->imm = imm; in[1].imm = trial - 1; break;
			case EBPF_FMT_LD_IND: x->src = 2; x->imm = imm; break;
			case EBPF_FMT_LDX: case EBPF_FMT_STX: case EBPF_FMT_ATOMIC:
				x->dst = 1; x->src = 10; x->off = off; break;
			case EBPF_FMT_ST: x->dst = 10; x->off = off; x->imm = imm; break;
			}
			if (e->sel == EBPF_SEL_OFF)
				x->off = (int16_t)e->selval;
			if (e->sel == EBPF_SEL_IMM)
				x->imm = e->selval;
			if (e->sel == EBPF_SEL_SRC)
				x->src = (uint8_t)e->selval;
			size_t n = e->fmt == EBPF_FMT_LDDW ? 2 : 1;
			char t[256], name[400];
			bpfasm_disasm_insn(in, n, 0, BPFASM_SUITE, t, sizeof t);
			snprintf(name, sizeof name, "entry %s (0x%02x) trial %d: %s",
				 e->mnem, e->code, trial, t);
			T_CHECK(strncmp(t, ".raw", 4), "%s: printed as raw", name);
			ok += round_trip(in, n, name);
		}
	}
	printf("opcode table: %u of %u entry samples round-trip through text\n",
	       ok, 3 * (unsigned)EBPF_OP_COUNT);
}

/* Random slots: whatever the bytes, the text assembles back to them. */
static void random_slots(void)
{
	uint64_t s = 0x9e3779b97f4a7c15ull;
	unsigned ok = 0, progs = 2000;
	for (unsigned p = 0; p < progs; p++) {
		size_t n = 1 + p % 16;
		for (size_t i = 0; i < n; i++) {
			s ^= s << 13, s ^= s >> 7, s ^= s << 17;
			a[i] = df_from_word(s);
			if (p % 2) /* half the time a real opcode */
				a[i].code = ebpf_opinfo[(s >> 40) % EBPF_OP_COUNT].code;
		}
		char what[64];
		snprintf(what, sizeof what, "random program %u", p);
		ok += round_trip(a, n, what);
	}
	printf("random: %u/%u random programs round-trip exactly\n", ok, progs);
}

/* tests/data/asm/kernel.txt: `suite text | kernel text` per line. */
static void kernel_syntax(void)
{
	FILE *f = fopen("tests/data/asm/kernel.txt", "r");
	if (!T_CHECK(f != NULL, "open tests/data/asm/kernel.txt"))
		return;
	char line[512];
	unsigned cases = 0;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		char *bar = strstr(line, " | ");
		if (line[0] == '#' || !bar)
			continue;
		*bar = '\0';
		const char *want = bar + 3;
		struct graft_err err = { 0 };
		size_t m = 0;
		cases++;
		if (!T_CHECK(!bpfasm_assemble(line, strlen(line), a, CAP, &m, &err),
			     "kernel case '%s': %s", line, err.msg))
			continue;
		char got[256];
		bpfasm_disasm_insn(a, m, 0, BPFASM_KERNEL, got, sizeof got);
		T_CHECK(!strcmp(got, want), "kernel syntax of '%s': got '%s', want '%s'",
			line, got, want);
	}
	fclose(f);
	printf("kernel syntax: %u cases from tests/data/asm/kernel.txt\n", cases);
}

/* Slots no mnemonic expresses: how each syntax shows them. */
static void odd_slots(void)
{
	static const struct {
		struct ebpf_insn in[2];
		size_t n, used;
		const char *suite, *kernel;
	} cases[] = {
		{ { { .code = 0x18, .dst = 1, .src = 1, .imm = 5 }, { 0 } }, 2, 1,
		  ".raw 0x0000000500001118 # lddw %r1, map fd 5", "r1 = map[fd:5] ll" },
		{ { { .code = 0x18, .dst = 2, .src = 2, .imm = 3 }, { .imm = 16 } }, 2, 1,
		  ".raw 0x0000000300002218 # lddw %r2, map value 3",
		  "r2 = map_value[fd:3]+16 ll" },
		{ { { .code = 0x18, .imm = 1 } }, 1, 0,
		  ".raw 0x0000000100000018 # lddw without its second slot",
		  "(18) lddw without its second slot, raw 0x0000000100000018" },
		{ { { .code = 0xff } }, 1, 0, ".raw 0x00000000000000ff # unknown opcode 0xff",
		  "(ff) unknown opcode, raw 0x00000000000000ff" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char t[256];
		size_t used = bpfasm_disasm_insn(cases[i].in, cases[i].n, 0,
						 BPFASM_SUITE, t, sizeof t);
		T_CHECK(used == cases[i].used && !strcmp(t, cases[i].suite),
			"odd slot %zu suite: got '%s' (%zu slots)", i, t, used);
		bpfasm_disasm_insn(cases[i].in, cases[i].n, 0, BPFASM_KERNEL, t,
				   sizeof t);
		T_CHECK(!strcmp(t, cases[i].kernel), "odd slot %zu kernel: got '%s'",
			i, t);
		round_trip(cases[i].in, cases[i].n, cases[i].suite);
	}
	char tiny[8];
	size_t need = bpfasm_disassemble(cases[0].in, 2, BPFASM_SUITE, tiny,
					 sizeof tiny);
	T_CHECK(need > sizeof tiny && strlen(tiny) == sizeof tiny - 1,
		"truncated disassembly stays terminated and reports %zu bytes", need);
	printf("odd slots: %zu cases of slots shown as .raw\n",
	       sizeof cases / sizeof cases[0]);
}

int main(void)
{
	conformance_files();
	table_entries();
	random_slots();
	kernel_syntax();
	odd_slots();
	return t_done();
}
