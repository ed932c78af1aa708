/*
 * fuzz_verify — the verifier on arbitrary and mutated programs. Input:
 * one byte choosing the program type, then raw instructions (8 bytes
 * each). The verifier must never crash; when it accepts, the program runs
 * in the checked interpreter on random inputs and must not fault, run out
 * of budget or exceed the call depth: any such run is an unsound accept
 * and aborts. Seeds are the accepted test programs (fuzz/corpus).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/verify_run.h"

static const struct verify_map fz_maps[] = {
	{ VERIFY_MAP_HASH, 8, 16, 4, 0 },
	{ VERIFY_MAP_ARRAY, 4, 16, 1, 0 },
	{ VERIFY_MAP_RINGBUF, 0, 0, 4096, 0 },
	{ VERIFY_MAP_PROG_ARRAY, 4, 4, 4, 0 },
};

static const enum verify_prog_type fz_types[] = {
	VERIFY_PROG_XDP, VERIFY_PROG_RAW, VERIFY_PROG_EXEC, VERIFY_PROG_TRACE,
	VERIFY_PROG_MAPPER,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 9)
		return 0;
	enum verify_prog_type type =
		fz_types[data[0] % (sizeof fz_types / sizeof fz_types[0])];
	size_t n = (size - 1) / 8;
	if (n > 512)
		n = 512;
	struct ebpf_insn *prog = malloc(n * sizeof *prog);
	memcpy(prog, data + 1, n * sizeof *prog);
	struct verify_opts o = {
		.type = type, .maps = fz_maps, .nmaps = 4,
		.max_insns_processed = 200000,
		.alloc = { vr_malloc, vr_mfree, NULL },
	};
	struct verify_result res;
	struct graft_err err;
	if (verify_prog(prog, n, &o, &res, &err) == GRAFT_OK) {
		struct vr r;
		struct ebpf_prog *p = NULL;
		if (!vr_setup(&r, fz_maps, 4, 0x1234567 + n) &&
		    !vr_load(&r, prog, n, &p, &err)) {
			static struct ebpf_exec x;
			for (int i = 0; i < 20; i++) {
				enum graft_status s = vr_run(&r, p, type, &x);
				if (s != GRAFT_OK && s != GRAFT_EHELPER) {
					fprintf(stderr, "UNSOUND accept: %s: %s\n",
						graft_status_name(s), x.err.msg);
					abort();
				}
			}
			ebpf_prog_free(p);
		}
		vr_teardown(&r);
	}
	free(prog);
	return 0;
}
