/*
 * Soundness alarm: every program of the accept cases in tests/data/verify
 * and of the example objects (BUILD/examples/bpf) that the verifier
 * accepts runs 200 times in the checked interpreter on
 * random contexts, packets and map contents; a memory violation, an
 * exhausted budget, a too-deep call chain or a refused helper argument in
 * an accepted program fails the test.
 */
#include <dirent.h>

#include "graft/elf.h"

#include "testlib.h"
#include "verify_run.h"
#include "verify_text.h"

#define RUNS 200

static int map_type(const char *s)
{
	if (!strcmp(s, "hash")) return VERIFY_MAP_HASH;
	if (!strcmp(s, "array")) return VERIFY_MAP_ARRAY;
	if (!strcmp(s, "prog_array")) return VERIFY_MAP_PROG_ARRAY;
	if (!strcmp(s, "ringbuf")) return VERIFY_MAP_RINGBUF;
	if (!strcmp(s, "queue")) return VERIFY_MAP_QUEUE;
	return -1;
}

static unsigned nprogs, nruns, nlinux;

/* Run one accepted program RUNS times; fail on any dynamic violation. */
static void run_accepted(const char *name, const struct ebpf_insn *prog,
			 size_t n, enum verify_prog_type type,
			 const struct verify_map *maps, size_t nmaps)
{
	struct vr r;
	struct graft_err err = { 0 };
	if (!T_CHECK(!vr_setup(&r, maps, nmaps, 0x9e3779b97f4a7c15ull ^ n),
		     "%s: cannot set up maps", name)) {
		vr_teardown(&r);
		return;
	}
	struct ebpf_prog *p;
	enum graft_status ls = vr_load(&r, prog, n, &p, &err);
	if (ls && strstr(err.msg, "unknown helper")) {
		/* a Linux helper graft's runtime lacks: the loader refuses
		 * the program, so it never runs */
		nlinux++;
		vr_teardown(&r);
		return;
	}
	if (!T_CHECK(!ls,
		     "%s: accepted but the loader refuses it: %s", name,
		     err.msg)) {
		vr_teardown(&r);
		return;
	}
	static struct ebpf_exec x;
	int bad = 0;
	for (int i = 0; i < RUNS && !bad; i++) {
		enum graft_status s = vr_run(&r, p, type, &x);
		nruns++;
		if (s != GRAFT_OK) {
			bad = 1;
			T_CHECK(0, "%s: UNSOUND: accepted program failed at run "
				"%d: %s: %s", name, i, graft_status_name(s),
				x.err.msg);
		}
	}
	if (!bad)
		T_CHECK(1, "%s", name);
	nprogs++;
	ebpf_prog_free(p);
	vr_teardown(&r);
}

/* The example objects (examples/bpf, built by make) that verify. */
static void run_examples(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < 3 || strcmp(de->d_name + l - 2, ".o"))
			continue;
		char path[1024];
		snprintf(path, sizeof path, "%.500s/%.500s", dir, de->d_name);
		FILE *fp = fopen(path, "rb");
		if (!fp)
			continue;
		static uint8_t buf[1 << 20];
		size_t len = fread(buf, 1, sizeof buf, fp);
		fclose(fp);
		struct graft_alloc a = { vr_malloc, vr_mfree, NULL };
		struct graft_elf *e;
		struct graft_err err;
		if (graft_elf_open(&e, buf, len, &a, &err))
			continue;
		struct verify_map maps[VR_MAX_MAPS];
		size_t nm = e->nmaps < VR_MAX_MAPS ? e->nmaps : VR_MAX_MAPS;
		for (size_t m = 0; m < nm; m++)
			maps[m] = (struct verify_map){
				e->maps[m].def.type, e->maps[m].def.key_size,
				e->maps[m].def.value_size,
				e->maps[m].def.max_entries, e->maps[m].def.flags };
		for (size_t i = 0; i < e->nprogs && nm == e->nmaps; i++) {
			enum verify_prog_type t =
				verify_prog_type_from_section(e->progs[i].section);
			if (t == VERIFY_PROG_COUNT)
				continue;
			struct verify_opts o = { .type = t, .maps = maps,
						 .nmaps = nm,
						 .alloc = { vr_malloc, vr_mfree,
							    NULL } };
			struct verify_result res;
			if (verify_prog(e->progs[i].insns, e->progs[i].ninsns, &o,
					&res, &err))
				continue;
			char name[300];
			snprintf(name, sizeof name, "%s:%s", de->d_name,
				 e->progs[i].name);
			run_accepted(name, e->progs[i].insns, e->progs[i].ninsns,
				     t, maps, nm);
		}
		graft_elf_close(e);
	}
	closedir(d);
}

static void run_case(const char *dir, const char *name)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *fp = fopen(path, "r");
	if (!fp)
		return;
	static char text[65536];
	size_t len = fread(text, 1, sizeof text - 1, fp);
	fclose(fp);
	text[len] = 0;
	if (!strstr(text, "-- expect accept"))
		return;
	struct verify_map maps[VR_MAX_MAPS];
	size_t nmaps = 0;
	enum verify_prog_type type = VERIFY_PROG_COUNT;
	char *save = NULL, *asm_text = NULL;
	for (char *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char a[64];
		unsigned k, v, m;
		if (!strncmp(line, "-- asm", 6)) {
			asm_text = line + strlen(line) + 1;
			break;
		}
		if (sscanf(line, "-- type %63s", a) == 1)
			type = verify_prog_type_from_name(a);
		if (sscanf(line, "-- map %63s %u %u %u", a, &k, &v, &m) == 4 &&
		    nmaps < VR_MAX_MAPS)
			maps[nmaps++] = (struct verify_map){ (uint32_t)map_type(a),
							     k, v, m, 0 };
	}
	static struct ebpf_insn prog[4096];
	char aerr[128];
	int n = asm_text ? vt_assemble(asm_text, prog, 4096, aerr, sizeof aerr) : -1;
	if (!T_CHECK(n > 0 && type != VERIFY_PROG_COUNT, "%s: unreadable", name))
		return;
	struct verify_opts o = { .type = type, .maps = maps, .nmaps = nmaps,
				 .alloc = { vr_malloc, vr_mfree, NULL } };
	struct verify_result res;
	struct graft_err err = { 0 };
	if (verify_prog(prog, (size_t)n, &o, &res, &err))
		return; /* verify_data reports this */
	if (type >= VERIFY_PROG_CGROUP_SKB) {
		nlinux++; /* Linux-only contexts: graft cannot run them */
		return;
	}
	run_accepted(name, prog, (size_t)n, type, maps, nmaps);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "tests/data/verify";
	DIR *d = opendir(dir);
	if (!T_CHECK(d, "cannot open %s", dir))
		return t_done();
	struct dirent *de;
	while ((de = readdir(d)))
		if (strstr(de->d_name, ".txt"))
			run_case(dir, de->d_name);
	closedir(d);
	char ex[512];
	const char *bd = getenv("BUILD");
	snprintf(ex, sizeof ex, "%s/examples/bpf", bd && *bd ? bd : "build");
	run_examples(ex);
	printf("soundness: %u accepted programs, %u checked runs on random "
	       "inputs, no dynamic violation allowed (%u accepted cases of "
	       "Linux-only program types or helpers not run)\n", nprogs, nruns, nlinux);
	T_CHECK(nprogs >= 1, "no accepted program was run");
	return t_done();
}
