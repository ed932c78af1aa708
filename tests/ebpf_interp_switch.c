/*
 * The interpreter tests again, against the switch-dispatch build of the
 * same body (the fallback for compilers without computed goto). This
 * program's own copy of interp.c replaces the library's at link time.
 */
#define GRAFT_INTERP_SWITCH 1
#include "../lib/ebpf/interp.c"
#include "ebpf_interp.c"
