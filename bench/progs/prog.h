/*
 * bench/progs/prog.h — one C source, two builds.
 *
 * Each benchmark program is written once and compiled twice: by
 * `clang -O2 -target bpf` into an XDP program (section "xdp", one program
 * per object, no relocations) that graft and the Linux kernel both run, and
 * by `gcc -O2` into a plain function bench_native_NAME that is the native
 * anchor. Both builds see the same context, a struct xdp_md whose data and
 * data_end are 32-bit addresses: the runner keeps the packet below 2 GiB so
 * the native build can use them as pointers too.
 *
 * Inputs (loop counts, seeds) come from the packet, so nothing folds at
 * compile time. Loops have constant upper bounds so the kernel's verifier
 * accepts them; the verifier walks every iteration, so bounds stay small
 * enough for its 1M-instruction limit.
 */
#ifndef BENCH_PROG_H
#define BENCH_PROG_H

typedef __UINT8_TYPE__ u8;
typedef __UINT32_TYPE__ u32;
typedef __UINT64_TYPE__ u64;

/* Same layout as Linux's struct xdp_md (the verifier checks offsets). */
struct xdp_md {
	u32 data;
	u32 data_end;
	u32 data_meta;
	u32 ingress_ifindex;
	u32 rx_queue_index;
	u32 egress_ifindex;
};

/* The first bytes of every benchmark packet. */
struct bench_in {
	u32 n;    /* loop count */
	u32 seed; /* starting value */
};

#ifdef __bpf__
#define PROG(name)                                                         \
	__attribute__((section("xdp"), used)) int name(struct xdp_md *ctx)
#define LICENSE                                                            \
	__attribute__((section("license"), used)) char _license[] = "GPL"
#else
#define PROG(name)                                                         \
	int bench_native_##name(struct xdp_md *ctx);                       \
	__attribute__((noinline)) int bench_native_##name(struct xdp_md *ctx)
#define LICENSE typedef int bench_license_unused
#endif

#define PKT_DATA(ctx) ((u8 *)(unsigned long)(ctx)->data)
#define PKT_END(ctx) ((u8 *)(unsigned long)(ctx)->data_end)

/* The packet's input header and `extra` bytes after it, or 0 if too short. */
static inline __attribute__((always_inline)) struct bench_in *
bench_input(struct xdp_md *ctx, unsigned long extra)
{
	u8 *data = PKT_DATA(ctx);
	if (data + sizeof(struct bench_in) + extra > PKT_END(ctx))
		return 0;
	return (struct bench_in *)data;
}

#endif
