/*
 * Placeholder until the x86-64 JIT lands: EBPF_F_JIT loads fail with
 * GRAFT_ENOTSUP, so no caller mistakes the interpreter for compiled code.
 */
#include "jit.h"

enum graft_status ebpf_jit_compile(struct ebpf_prog *p,
				   const struct ebpf_load_opts *o,
				   struct graft_err *err)
{
	(void)p;
	(void)o;
	return graft_errf(err, GRAFT_ENOTSUP, "JIT not built");
}

void ebpf_jit_release(struct ebpf_prog *p)
{
	p->jit_code = NULL;
	p->jit_size = 0;
	p->jit_run = NULL;
}
