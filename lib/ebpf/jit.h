/*
 * lib/ebpf/jit.h — the x86-64 JIT behind ebpf_prog_load (internal).
 *
 * ebpf_prog_load calls ebpf_jit_compile after validation and pre-decoding
 * when EBPF_F_JIT is set; on success it has set p->jit_code, p->jit_size
 * and p->jit_run (see the engine contract in prog.h), on failure the load
 * fails with its status and message. ebpf_prog_free calls ebpf_jit_release
 * whenever p->jit_code is set.
 */
#ifndef GRAFT_EBPF_JIT_H
#define GRAFT_EBPF_JIT_H

#include "prog.h"

enum graft_status ebpf_jit_compile(struct ebpf_prog *p,
				   const struct ebpf_load_opts *o,
				   struct graft_err *err);
void ebpf_jit_release(struct ebpf_prog *p);

#endif
