/*
 * bench/bench.h — the parts of the eBPF benchmark runner (host-only code).
 *
 * The runner measures each benchmark program in every engine it can reach,
 * in the same process run: graft's interpreter and JIT (checked and
 * unchecked), the same C built natively with gcc -O2, and the Linux
 * kernel's JIT through bpf(BPF_PROG_TEST_RUN). Engines that are missing
 * (JIT not built, bpf() not permitted) are reported with a reason, never
 * faked.
 */
#ifndef BENCH_BENCH_H
#define BENCH_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "graft/ebpf.h"

/* ---- clock ------------------------------------------------------------- */

uint64_t bench_now_ns(void); /* monotonic wall clock */
uint64_t bench_cpu_ns(void); /* this thread's CPU time */
double bench_median(double *v, size_t n); /* sorts v */
/* One line: the CPU model, CPUs online, load average. */
void bench_print_machine(void);
/* An environment variable as an unsigned within [lo, hi], or dflt. */
unsigned bench_env_uint(const char *name, unsigned dflt, unsigned lo,
			unsigned hi);

/* ---- objects (bench_obj.c) ---------------------------------------------- */

/*
 * The instructions of section `sec` of a relocation-free eBPF object, in a
 * malloc'd array. Returns NULL and a reason in why[] on any failure.
 */
struct ebpf_insn *bench_obj_section(const char *path, const char *sec,
				    size_t *n, char *why, size_t whylen);

/* ---- graft (bench_graft.c) ---------------------------------------------- */

/*
 * Load with flags (and code memory cm, NULL for the default); NULL and a
 * reason (status name and message) on failure.
 */
struct ebpf_prog *bench_graft_load(const struct ebpf_insn *insns, size_t n,
				   unsigned flags,
				   const struct ebpf_codemem *cm,
				   enum graft_status *st, char *why,
				   size_t whylen);
void bench_graft_free(struct ebpf_prog *p);
/* A malloc'd execution state with the context (R) and packet (RW) regions. */
struct ebpf_exec *bench_graft_exec(const void *ctx, size_t ctxlen,
				   void *pkt, size_t pktlen, char *why,
				   size_t whylen);
/*
 * Run p `iters` times on x (through ebpf_prog_direct's entry when `direct`,
 * else ebpf_prog_run): mean ns per run; false and why on a failure.
 */
bool bench_graft_time(const struct ebpf_prog *p, struct ebpf_exec *x,
		      uint64_t iters, bool direct, double *ns, char *why,
		      size_t whylen);

/* ---- the Linux kernel (bench_kernel.c) ----------------------------------- */

struct bench_kprog;

/*
 * Open and load program `name` of object `path` into the kernel. NULL and a
 * reason when bpf() is not usable or the verifier refuses.
 */
struct bench_kprog *bench_kernel_load(const char *path, const char *name,
				      char *why, size_t whylen);
/*
 * BPF_PROG_TEST_RUN with `repeat`: the kernel's mean ns per run and r0.
 * Returns 0, or -errno with a reason.
 */
int bench_kernel_run(struct bench_kprog *k, const void *pkt, uint32_t len,
		     uint32_t repeat, double *ns, uint32_t *r0, char *why,
		     size_t whylen);
void bench_kernel_close(struct bench_kprog *k);
/*
 * Can this process load and test-run programs at all? Tries the object at
 * `probe`; false with one line of reason (e.g. no privilege) when not.
 */
bool bench_kernel_usable(const char *probe, char *why, size_t whylen);
/* "" when the kernel JIT is on, else a note for the table's header. */
const char *bench_kernel_jit_note(void);

/* ---- JIT compile time (bench_jitgen.c) ----------------------------------- */

/* A straight-line mixed program of n instructions (n >= 32), seeded. */
void bench_gen_program(struct ebpf_insn *out, size_t n, uint32_t seed);
/* Measure and print the compile-time section; false on a result mismatch. */
bool bench_jit_compile_time(unsigned runs);

/* ---- the map benchmark (bench_maps.c) ------------------------------------ */

/* Print the map rows (or why they are skipped); false on a mismatch. */
bool bench_maps(const char *objdir, unsigned runs, double target_ms,
		bool kernel_ok);

#endif
