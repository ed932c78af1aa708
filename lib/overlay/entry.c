/*
 * Function-entry patching over the platform (gp_text_alloc, gp_text_patch):
 * the real hook behind bpf_attach.
 *
 * Contract. A traceable function was built with
 * -fpatchable-function-entry=5,0 (or the patchable_function_entry(5, 0)
 * attribute): gcc puts five one-byte NOPs (90 90 90 90 90) at its entry,
 * after the endbr64 that -fcf-protection adds. Attaching rewrites those
 * five bytes to `call rel32` into a trampoline of our own; detaching
 * writes the five NOPs back, byte for byte. Anything else at the entry is
 * refused with an error naming the flag.
 *
 * The trampoline (one per site, generated when the patcher's page is
 * made) runs on the traced function's stack, right at its entry:
 *   push rbp; mov rbp, rsp        frame for backtraces, and a fixed base
 *   push r9 r8 rcx rdx rsi rdi    the argument registers, args[0..5] in
 *                                 memory order: the programs' context
 *   push rax, r10                 vector count of a varargs call, static
 *                                 chain: live at entry in some calls
 *   and rsp, -16; sub rsp, 128    16-byte aligned before the C call
 *   movups xmm0..7 -> [rsp]       floating-point arguments
 *   ovl_bpf_enter(b, site, &args, [rbp+16])   [rbp+16]: the traced
 *                                 call's return address
 *   restore everything in reverse, pop rbp, ret    -> into the body
 * rbx, rbp, r12-r15 are callee-saved, so ovl_bpf_enter keeps them. The
 * direction flag is clear at every call (ABI), so it is at ours.
 *
 * Safety of the patch itself: gp_text_patch's contract (no thread is in
 * the bytes) holds on graft's platforms, whose threads are cooperative: a
 * thread is suspended only inside a call, never in an entry NOP sled. A
 * function that is running (suspended deep in its body) keeps running; the
 * next call to it enters the trampoline. Trampolines are never changed or
 * freed while the patcher lives, so a detach cannot pull code out from
 * under a thread.
 */
#include <errno.h>
#include <string.h>

#include "graft/platform.h"
#include "graft/overlay.h"

#define TRAMP_SLOT 256
#define TRAMP_PAGES_LEN (OVL_BPF_MAX_SITES * TRAMP_SLOT)

static const uint8_t nop5[5] = { 0x90, 0x90, 0x90, 0x90, 0x90 };
static const uint8_t endbr64[4] = { 0xf3, 0x0f, 0x1e, 0xfa };

/* The trampoline; B, SITE and ENTER are filled per site. */
static const uint8_t tramp_code[] = {
	0x55,                                     /* push rbp */
	0x48, 0x89, 0xe5,                         /* mov rbp, rsp */
	0x41, 0x51, 0x41, 0x50, 0x51, 0x52,       /* push r9, r8, rcx, rdx */
	0x56, 0x57, 0x50, 0x41, 0x52,             /* push rsi, rdi, rax, r10 */
	0x48, 0x83, 0xe4, 0xf0,                   /* and rsp, -16 */
	0x48, 0x81, 0xec, 0x80, 0, 0, 0,          /* sub rsp, 128 */
	0x0f, 0x11, 0x04, 0x24,                   /* movups [rsp], xmm0 */
	0x0f, 0x11, 0x4c, 0x24, 0x10,             /* movups [rsp+16], xmm1 */
	0x0f, 0x11, 0x54, 0x24, 0x20,
	0x0f, 0x11, 0x5c, 0x24, 0x30,
	0x0f, 0x11, 0x64, 0x24, 0x40,
	0x0f, 0x11, 0x6c, 0x24, 0x50,
	0x0f, 0x11, 0x74, 0x24, 0x60,
	0x0f, 0x11, 0x7c, 0x24, 0x70,             /* movups [rsp+112], xmm7 */
	0x48, 0xbf, 0, 0, 0, 0, 0, 0, 0, 0,       /* mov rdi, B */
	0xbe, 0, 0, 0, 0,                         /* mov esi, SITE */
	0x48, 0x8d, 0x55, 0xd0,                   /* lea rdx, [rbp-48] */
	0x48, 0x8b, 0x4d, 0x10,                   /* mov rcx, [rbp+16] */
	0x48, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0,       /* mov rax, ENTER */
	0xff, 0xd0,                               /* call rax */
	0x0f, 0x10, 0x04, 0x24,                   /* movups xmm0, [rsp] */
	0x0f, 0x10, 0x4c, 0x24, 0x10,
	0x0f, 0x10, 0x54, 0x24, 0x20,
	0x0f, 0x10, 0x5c, 0x24, 0x30,
	0x0f, 0x10, 0x64, 0x24, 0x40,
	0x0f, 0x10, 0x6c, 0x24, 0x50,
	0x0f, 0x10, 0x74, 0x24, 0x60,
	0x0f, 0x10, 0x7c, 0x24, 0x70,
	0x48, 0x8d, 0x65, 0xc0,                   /* lea rsp, [rbp-64] */
	0x41, 0x5a, 0x58, 0x5f, 0x5e, 0x5a,       /* pop r10, rax, rdi, rsi, rdx */
	0x59, 0x41, 0x58, 0x41, 0x59,             /* pop rcx, r8, r9 */
	0x5d,                                     /* pop rbp */
	0xc3,                                     /* ret */
};
enum { OFF_B = 0x43, OFF_SITE = 0x4c, OFF_ENTER = 0x5a };
_Static_assert(sizeof tramp_code <= TRAMP_SLOT, "trampoline slot too small");

struct entry_site {
	uint8_t *at;            /* the patched 5 bytes; NULL: not patched */
};

struct ovl_entry {
	struct graft_alloc alloc;
	struct ovl_bpf *bpf;
	uint8_t *code;          /* OVL_BPF_MAX_SITES trampolines, read+exec */
	struct entry_site sites[OVL_BPF_MAX_SITES];
};

enum graft_status ovl_entry_create(struct ovl_entry **out,
				   const struct graft_alloc *a,
				   struct graft_err *err)
{
	*out = a->alloc(a->ud, sizeof **out);
	if (!*out)
		return graft_errf(err, GRAFT_ENOMEM, "entry patcher state");
	memset(*out, 0, sizeof **out);
	(*out)->alloc = *a;
	return GRAFT_OK;
}

void ovl_entry_bind(struct ovl_entry *e, struct ovl_bpf *b)
{
	e->bpf = b;
}

void ovl_entry_free(struct ovl_entry *e)
{
	if (!e)
		return;
	for (unsigned i = 0; i < OVL_BPF_MAX_SITES; i++)
		if (e->sites[i].at)
			gp_text_patch(e->sites[i].at, nop5, sizeof nop5);
	if (e->code)
		gp_pages_free(e->code, TRAMP_PAGES_LEN);
	e->alloc.free(e->alloc.ud, e);
}

/* Every site's trampoline, written once, near the first traced function. */
static enum graft_status make_code(struct ovl_entry *e, const void *near,
				   struct graft_err *err)
{
	uint8_t *c = gp_text_alloc(TRAMP_PAGES_LEN, near);
	if (!c)
		return graft_errf(err, GRAFT_ENOMEM,
				  "no code memory within reach of 0x%llx",
				  (unsigned long long)(uintptr_t)near);
	uint64_t b = (uint64_t)(uintptr_t)e->bpf;
	uint64_t enter = (uint64_t)(uintptr_t)ovl_bpf_enter;
	for (uint32_t s = 0; s < OVL_BPF_MAX_SITES; s++) {
		uint8_t *t = c + s * TRAMP_SLOT;
		memset(t, 0xcc, TRAMP_SLOT); /* int3 between trampolines */
		memcpy(t, tramp_code, sizeof tramp_code);
		memcpy(t + OFF_B, &b, 8);
		memcpy(t + OFF_SITE, &s, 4);
		memcpy(t + OFF_ENTER, &enter, 8);
	}
	if (gp_pages_protect(c, TRAMP_PAGES_LEN, GP_PROT_READ | GP_PROT_EXEC)) {
		gp_pages_free(c, TRAMP_PAGES_LEN);
		return graft_errf(err, GRAFT_EIO, "cannot make trampolines executable");
	}
	e->code = c;
	return GRAFT_OK;
}

/* Where the five NOPs of the function at addr are, or NULL. */
static uint8_t *nop_site(uint64_t addr)
{
	uint8_t *p = (uint8_t *)(uintptr_t)addr;
	if (!memcmp(p, endbr64, sizeof endbr64))
		p += sizeof endbr64;
	return memcmp(p, nop5, sizeof nop5) ? NULL : p;
}

enum graft_status ovl_entry_hook(void *ud, uint64_t addr, uint32_t site,
				 bool on, struct graft_err *err)
{
	struct ovl_entry *e = ud;
	if (site >= OVL_BPF_MAX_SITES || !e->bpf)
		return graft_errf(err, GRAFT_EINVAL, "bad site %u", site);
	struct entry_site *s = &e->sites[site];
	if (!on) {
		if (!s->at)
			return graft_errf(err, GRAFT_ENOENT, "site %u is not patched",
					  site);
		int rc = gp_text_patch(s->at, nop5, sizeof nop5);
		if (rc)
			return graft_errf(err, GRAFT_EIO, "restoring 0x%llx: error %d",
					  (unsigned long long)(uintptr_t)s->at, -rc);
		s->at = NULL;
		return GRAFT_OK;
	}
	if (s->at)
		return graft_errf(err, GRAFT_EEXIST, "site %u is already patched",
				  site);
	uint8_t *p = nop_site(addr);
	if (!p)
		return graft_errf(err, GRAFT_ENOTSUP,
				  "the entry at 0x%llx is not a 5-byte NOP: build the "
				  "function with -fpatchable-function-entry=5,0",
				  (unsigned long long)addr);
	if (!e->code && make_code(e, p, err))
		return err->status;
	int64_t rel = (int64_t)(uintptr_t)(e->code + site * TRAMP_SLOT) -
		      (int64_t)(uintptr_t)(p + 5);
	if (rel != (int32_t)rel)
		return graft_errf(err, GRAFT_ENOTSUP,
				  "0x%llx is out of rel32 reach of the trampolines",
				  (unsigned long long)addr);
	uint8_t call[5] = { 0xe8 };
	int32_t r32 = (int32_t)rel;
	memcpy(call + 1, &r32, 4);
	int rc = gp_text_patch(p, call, sizeof call);
	if (rc)
		return graft_errf(err, rc == -ENOTSUP ? GRAFT_ENOTSUP : GRAFT_EIO,
				  "patching 0x%llx: error %d",
				  (unsigned long long)(uintptr_t)p, -rc);
	s->at = p;
	return GRAFT_OK;
}
