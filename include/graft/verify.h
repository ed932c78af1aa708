/*
 * graft/verify.h — the static verifier: proves an eBPF program memory-safe
 * and terminating for one program type, so it may run without dynamic
 * checks. The contract (what is proven, assumed and left unchecked) heads
 * lib/verify/verify.c.
 *
 * Programs come as instruction arrays; maps are referenced by index (lddw
 * with src EBPF_PSEUDO_MAP_FD or EBPF_PSEUDO_MAP_IDX and imm = index into
 * opts.maps; EBPF_PSEUDO_MAP_VALUE / _IDX_VALUE with the offset in the
 * second slot's imm), as the ELF loader leaves them before resolving.
 */
#ifndef GRAFT_VERIFY_H
#define GRAFT_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "graft/base.h"
#include "graft/ebpf.h"

/*
 * Program types. Context layouts (r1 at entry):
 *  - XDP: struct xdp_md { u32 data, data_end, data_meta, ingress_ifindex,
 *    rx_queue_index, egress_ifindex; }, read-only; loads of data / data_end
 *    / data_meta (4 bytes) give packet pointers. Returns 0..4 (XDP_ABORTED..
 *    XDP_REDIRECT); network elements in graft use the value as verdict/port.
 *  - SKB: struct __sk_buff as Linux tc programs see it: scalar fields
 *    readable, cb[] / mark / priority / tc_index / queue_mapping writable,
 *    data (76), data_end (80), data_meta (140) give packet pointers.
 *    SOCKET: the same context as a Linux socket filter sees it: no packet
 *    pointers, only cb[] writable. Both exist for the kernel selftest
 *    corpus; they return any scalar.
 *  - KPROBE: struct pt_regs (x86-64, 21 u64), read-only, for the corpus.
 *  - TRACE: function entry; the context is the traced function's six
 *    argument registers as u64[6], read-only. Returns any scalar.
 *  - EXEC: the overlay's bpf_exec: r1..r5 are the command's five u64
 *    arguments (scalars), no context. Returns any scalar.
 *  - MAPPER, REDUCER: struct { u64 data; u64 data_end; u64 arg; },
 *    read-only; data / data_end (8-byte loads) give pointers to the input
 *    bytes, checked like a packet. Return any scalar.
 *  - RAW: the conformance suite's convention: r1 points to nothing the
 *    verifier knows (treated as a scalar), r2 is a scalar. Returns any
 *    scalar. Only pure computation and the stack are provable.
 *
 * Linux-compatible types for the kernel selftest corpus (contexts from the
 * kernel's UAPI structs; graft has no runtime for them). They follow what
 * Linux allows a privileged loader and return 0..1 unless opts say
 * otherwise:
 *  - CGROUP_SKB: struct __sk_buff as cgroup skb programs see it: packet
 *    readable (not writable), mark / priority / cb[] / tstamp writable, sk
 *    gives a socket-or-NULL.
 *  - CGROUP_SOCK: struct bpf_sock (sock_create / sock_release): read-only
 *    but bound_dev_if, mark, priority. CGROUP_POST_BIND: the same struct
 *    (post_bind4 / post_bind6), read-only, without bound_dev_if, mark,
 *    priority; src_port readable, the source addresses not modeled.
 *  - CGROUP_SOCK_ADDR: struct bpf_sock_addr: user_port writable, sk gives
 *    a socket; the address fields depend on the attach type and are not
 *    modeled.
 *  - SK_MSG: struct sk_msg_md, read-only; data / data_end give the
 *    message bytes (writable), sk a socket. Returns any scalar.
 *  - SK_REUSEPORT: struct sk_reuseport_md, read-only; data / data_end
 *    give the packet (read-only), sk a socket, migrating_sk a socket or
 *    NULL. Returns any scalar.
 * Sockets (struct bpf_sock, struct bpf_tcp_sock) are read-only objects
 * whose fields follow the kernel's access rules.
 */
enum verify_prog_type {
	VERIFY_PROG_XDP,
	VERIFY_PROG_SKB,
	VERIFY_PROG_SOCKET,
	VERIFY_PROG_KPROBE,
	VERIFY_PROG_TRACE,
	VERIFY_PROG_EXEC,
	VERIFY_PROG_MAPPER,
	VERIFY_PROG_REDUCER,
	VERIFY_PROG_RAW,
	VERIFY_PROG_CGROUP_SKB,
	VERIFY_PROG_CGROUP_SOCK,
	VERIFY_PROG_CGROUP_SOCK_ADDR,
	VERIFY_PROG_SK_MSG,
	VERIFY_PROG_CGROUP_POST_BIND,
	VERIFY_PROG_SK_REUSEPORT,
	VERIFY_PROG_COUNT
};

/* "xdp", "trace", ...; NULL for an unknown type. */
const char *verify_prog_type_name(enum verify_prog_type t);
/* Parse a name, or guess from an ELF section name ("xdp", "kprobe/...",
 * "socket", "tc", "mapper", ...). Returns VERIFY_PROG_COUNT when unknown. */
enum verify_prog_type verify_prog_type_from_name(const char *name);
enum verify_prog_type verify_prog_type_from_section(const char *sec);
/* The return range Linux enforces for a section's attach type where it
 * differs from its program type's (cgroup/bind4: 0..3, cgroup/recvmsg4:
 * 1..1, cgroup_skb/egress: 0..3). False when the type's own applies. */
bool verify_section_ret_range(const char *sec, int32_t *min, int32_t *max);

/* Map kinds the verifier distinguishes (Linux BPF_MAP_TYPE_* numbering). */
enum {
	VERIFY_MAP_HASH = 1, VERIFY_MAP_ARRAY = 2, VERIFY_MAP_PROG_ARRAY = 3,
	VERIFY_MAP_PERCPU_HASH = 5, VERIFY_MAP_PERCPU_ARRAY = 6,
	VERIFY_MAP_LRU_HASH = 9, VERIFY_MAP_QUEUE = 22, VERIFY_MAP_STACK = 23,
	VERIFY_MAP_RINGBUF = 27,
};

/* map_flags the verifier enforces (Linux numbering). */
enum { VERIFY_MAP_F_RDONLY_PROG = 1u << 7, VERIFY_MAP_F_WRONLY_PROG = 1u << 8 };

struct verify_map {
	uint32_t type;         /* VERIFY_MAP_* (Linux numbering) */
	uint32_t key_size;
	uint32_t value_size;
	uint32_t max_entries;
	uint32_t flags;        /* VERIFY_MAP_F_*; .rodata is RDONLY_PROG */
};

/* One BTF line_info record, already resolved to text. */
struct verify_line {
	uint32_t pc;           /* first instruction of the line */
	uint32_t line;         /* line number, 0 if unknown */
	const char *file;      /* may be NULL */
	const char *text;      /* the source line, may be NULL */
};

/* Receives one line of trace or rejection report (no newline). */
typedef void (*verify_log_fn)(void *ud, const char *line);

struct verify_opts {
	enum verify_prog_type type;
	const struct verify_map *maps;
	size_t nmaps;
	const struct verify_line *lines; /* sorted by pc; may be NULL */
	size_t nlines;
	verify_log_fn log;               /* NULL: no log */
	void *log_ud;
	bool trace;                      /* log every instruction's state */
	uint32_t max_insns_processed;    /* 0: 1,000,000 */
	uint32_t max_states;             /* 0: 32,768 */
	struct graft_alloc alloc;        /* required */
	bool ret_range;                  /* R0 at exit in [ret_min, ret_max] */
	int32_t ret_min, ret_max;        /* (overrides the type's range) */
};

struct verify_result {
	bool accepted;
	uint32_t insns;              /* instructions in the program */
	uint64_t insns_processed;    /* instructions symbolically executed */
	uint64_t states;             /* states stored at prune points */
	uint64_t pruned;             /* paths cut by a subsuming state */
	uint32_t max_depth;          /* deepest bpf-to-bpf call chain */
	uint32_t fail_pc;            /* on rejection */
	uint32_t fail_line;          /* source line of fail_pc, 0 if unknown */
	uint64_t time_ns;            /* wall time of the verification */
};

/*
 * Verify one program. Returns GRAFT_OK when accepted. On rejection returns
 * GRAFT_EPERM (unsafe or unprovable: the message says "pc P (insn): reason;
 * Rn=state"), GRAFT_EINVAL (malformed: bad opcode, jump target, ...),
 * GRAFT_ENOTSUP (a feature graft does not model: kfunc, unknown helper,
 * map type), or GRAFT_ENOMEM (the allocator failed, or the state limit was
 * hit). *res is filled in every case; the full report goes to opts->log.
 */
enum graft_status verify_prog(const struct ebpf_insn *insns, size_t n,
			      const struct verify_opts *opts,
			      struct verify_result *res, struct graft_err *err);

#endif
