/*
 * graft/overlay.h — the overlay console: a line protocol into a running
 * application, and the command layer behind it.
 *
 * Protocol (one request line in, one reply out):
 *  - A request is one line of printable text ending in "\n" ("\r\n" is
 *    accepted), at most OVL_MAX_LINE bytes before the newline. Words are
 *    separated by blanks; "double quotes" group words, with \" and \\
 *    inside them. An empty line or one starting with '#' is a no-op.
 *  - Every request gets exactly one reply: zero or more data lines, then a
 *    status line, which is "ok", "ok TEXT" or "error: TEXT". A data line
 *    that would read like a status line (it starts with "ok", "error:" or
 *    '\') goes out with a '\' in front, which the client drops. Control
 *    bytes in data are sent as \xHH, so every protocol line is text; a data
 *    line longer than OVL_OUT_LINE bytes is split.
 *  - Output is streamed: data is written to the channel whenever
 *    OVL_OUT_BUF bytes are pending, not held until the command ends.
 *  - A client that goes away mid-command costs nothing: once a write fails,
 *    further output is dropped, the command still runs to its end (a
 *    half-done map update or attach would be worse than a lost reply), and
 *    the session ends at the next read.
 *
 * The library does no I/O of its own: the platform supplies a channel
 * (read bytes / write bytes) and a services table with one entry (function
 * and state) per command. An entry whose function is NULL answers
 * "error: CMD: not available here".
 * Nothing here allocates; a session is a plain struct the caller owns.
 */
#ifndef GRAFT_OVERLAY_H
#define GRAFT_OVERLAY_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "graft/base.h"

#define OVL_MAX_LINE 1024 /* request bytes before the newline */
#define OVL_MAX_ARGS 16   /* words in a request, the command included */
#define OVL_OUT_LINE 1024 /* a longer data line is split */
#define OVL_OUT_BUF 4096  /* pending reply bytes before a write */

/*
 * The byte channel. read returns the number of bytes read (> 0), 0 at end
 * of stream, < 0 on error; it may block (or, in the unikernel, yield).
 * write writes all n bytes and returns 0, or < 0 when the peer is gone.
 */
struct ovl_chan {
	void *ud;
	long (*read)(void *ud, void *buf, size_t n);
	int (*write)(void *ud, const void *buf, size_t n);
};

/* A reply being written: see ovl_printf / ovl_write / ovl_ok. */
struct ovl_out {
	const struct ovl_chan *chan;
	bool gone;              /* a write failed: drop the rest */
	bool at_line_start;     /* nothing of the current line buffered */
	uint64_t bytes;         /* reply bytes produced (sent or dropped) */
	size_t llen, blen;
	char line[OVL_OUT_LINE + 8];
	char buf[OVL_OUT_BUF];
	char ok_text[128];      /* text after "ok" in the status line */
};

/* Append data to the reply (any bytes; lines end at '\n'). */
void ovl_write(struct ovl_out *out, const void *data, size_t n);
void ovl_printf(struct ovl_out *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ovl_vprintf(struct ovl_out *out, const char *fmt, va_list ap);
/* Set the text of the "ok ..." status line. */
void ovl_ok(struct ovl_out *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* True once the client is gone (a long command may stop producing). */
bool ovl_gone(const struct ovl_out *out);

/*
 * The command list, written once: X(NAME, MINARGS, MAXARGS, USAGE, HELP).
 * Argument counts exclude the command word. The services table, the
 * dispatcher and `help` are all built from it.
 */
#define OVL_COMMANDS(X)                                                       \
	X(help, 0, 1, "help [COMMAND]", "list the commands, or explain one")   \
	X(echo, 0, 15, "echo [WORDS...]", "print the words (a no-op probe)")   \
	X(ls, 0, 1, "ls [PATH]", "list a directory of the RAM fs or 9p share") \
	X(cat, 1, 1, "cat PATH", "print a file")                               \
	X(load, 1, 1, "load FILE", "load a native program (cached by hash)")   \
	X(run, 1, 6, "run NAME [ARGS...]", "run a loaded native program")      \
	X(unload, 1, 1, "unload NAME", "unload a native program")              \
	X(bpf_exec, 1, 7, "bpf_exec OBJ [PROG] [ARGS...]",                     \
	  "run an eBPF program once with up to 5 numeric arguments")           \
	X(bpf_attach, 2, 3, "bpf_attach SYMBOL OBJ [PROG]",                    \
	  "run an eBPF program at every entry of a function")                  \
	X(bpf_detach, 1, 1, "bpf_detach SYMBOL|ID",                            \
	  "detach one attachment (ID) or all on a function")                   \
	X(bpf_list, 0, 0, "bpf_list",                                          \
	  "attached programs with hits, run time and last error")             \
	X(bpf_map_get, 2, 2, "bpf_map_get MAP KEY", "print one map value")     \
	X(bpf_map_put, 3, 3, "bpf_map_put MAP KEY VALUE", "set a map value")   \
	X(bpf_map_del, 2, 2, "bpf_map_del MAP KEY", "delete a map entry")      \
	X(bpf_map_dump, 1, 1, "bpf_map_dump MAP", "print every entry of a map") \
	X(trace, 0, 1, "trace [clear]", "print (or drop) the trace_printk ring") \
	X(kill, 1, 1, "kill SIGNAL", "send a signal (HUP, USR1, 10...) to the app") \
	X(stats, 0, 0, "stats", "memory, programs, maps, cache, PKU")          \
	X(quit, 0, 0, "quit", "close this session")

/*
 * A service runs one command. argv[0] is the command word, argc counts it;
 * the argument count is already checked against the table (and for kill
 * the signal, for bpf_exec the numbers). It writes data with ovl_printf,
 * may set the ok text with ovl_ok, and returns GRAFT_OK or a status with
 * err's message (becomes "error: CMD: MESSAGE").
 */
typedef enum graft_status (*ovl_service_fn)(void *ud, int argc,
					    char *const *argv,
					    struct ovl_out *out,
					    struct graft_err *err);

/* One command's implementation and the state it is called with. */
struct ovl_service {
	ovl_service_fn fn;
	void *ud;
};

/*
 * One entry per command, so a host can mix providers: its own file and
 * signal services beside lib/overlay's eBPF ones, each with its own ud.
 */
struct ovl_services {
#define OVL_X_FIELD(name, min, max, usage, help) struct ovl_service name;
	OVL_COMMANDS(OVL_X_FIELD)
#undef OVL_X_FIELD
};

struct ovl_stats {
	uint64_t requests, errors, bytes_in, bytes_out;
};

/* One client connection. */
struct ovl_session {
	struct ovl_chan chan;
	const struct ovl_services *svc;
	bool overlong;  /* discarding the rest of a too-long line */
	bool closed;    /* quit was asked, or the client is gone */
	size_t len;
	char line[OVL_MAX_LINE + 2];
	char scratch[OVL_MAX_LINE + 2]; /* the line's words, NUL-separated */
	struct ovl_stats stats;
	struct ovl_out out;
};

void ovl_session_init(struct ovl_session *s, const struct ovl_chan *chan,
		      const struct ovl_services *svc);

/*
 * Hand the session bytes that arrived; each complete line is run and
 * answered before this returns. For platforms that poll (the unikernel's
 * context thread). Returns false once the session is closed.
 */
bool ovl_session_feed(struct ovl_session *s, const void *data, size_t n);

/*
 * Serve until end of stream, a read error or quit, reading through the
 * channel. Returns GRAFT_OK at a clean end (including a client that left).
 */
enum graft_status ovl_session_serve(struct ovl_session *s);

/* Run one request line (without its newline) and write its reply. */
void ovl_session_line(struct ovl_session *s, const char *line, size_t n);

/* ----------------------------------------------------------------------- */
/* eBPF services: bpf_exec, bpf_attach/detach/list, bpf_map_*, trace      */

/*
 * What a platform gives the eBPF services. Every callback but read_file
 * may be NULL: without sym_addr and hook, bpf_attach answers "not
 * available here"; without now_ns, run times read 0.
 */
struct ovl_bpf_host {
	void *ud;
	/* The whole file (RAM fs, 9p share, host directory) in memory from
	 * alloc; the eBPF services free it with alloc.free. */
	enum graft_status (*read_file)(void *ud, const char *path,
				       const struct graft_alloc *alloc,
				       void **data, size_t *len,
				       struct graft_err *err);
	uint64_t (*now_ns)(void *ud);
	/* A function's entry address, 0 when there is no such symbol. */
	uint64_t (*sym_addr)(void *ud, const char *name);
	/* Make every entry of the function at addr call ovl_bpf_enter(b,
	 * site, ...) (on), or restore it (off). */
	enum graft_status (*hook)(void *ud, uint64_t addr, uint32_t site,
				  bool on, struct graft_err *err);
	/* Bytes of a data symbol, for overlay_sym (NULL or 0: 8). */
	uint64_t (*sym_size)(void *ud, const char *name);
};

/*
 * The overlay's own helpers, in graft's range (GRAFT_HELPER_BASE + 0x100):
 *  - overlay_sym(name, len): the address of an image symbol, 0 if none;
 *    the symbol's bytes become readable to the running program (a
 *    checked load or bpf_probe_read of a variable by name).
 *  - overlay_ret_addr(): the traced call's return address (0 in bpf_exec).
 *  - overlay_notify(value): an event line "notify VALUE" in the trace ring.
 *  - overlay_map_get(k1, k2) / overlay_map_put(k1, k2, v) /
 *    overlay_map_del(k1, k2): a store of u64 values under two u64 keys,
 *    shared by every program and the console (the pinned hash map
 *    "overlay", 16-byte keys {k1, k2}, 4096 entries; bpf_map_get overlay
 *    K1,K2). get gives 0 for a missing entry; put and del 0 or -errno.
 *  - overlay_puts(str, len): a line to the console of the bpf_exec running
 *    the program, or to the trace ring from a traced call.
 * trace_printk records in the ring always end with a newline.
 * Declarations for programs: examples/bpf/include/overlay_helpers.h.
 */
enum {
	OVL_FN_sym = 0x10100,
	OVL_FN_ret_addr = 0x10101,
	OVL_FN_notify = 0x10102,
	OVL_FN_map_get = 0x10103,
	OVL_FN_map_put = 0x10104,
	OVL_FN_map_del = 0x10105,
	OVL_FN_puts = 0x10106,
};
#define OVL_KV_MAP "overlay"

struct ovl_bpf_opts {
	struct ovl_bpf_host host;
	struct graft_alloc alloc;
	unsigned prog_flags;   /* EBPF_F_* for programs that run checked */
	uint64_t budget;       /* instructions per run; 0: the default */
	/* Programs the verifier accepts (lib/verify; a trace section as
	 * TRACE, an exec section as EXEC, any other as both) are JIT-compiled
	 * and run unchecked; the rest run checked. true: all run checked. */
	bool no_verify;
};

#define OVL_BPF_MAX_OBJS 16
#define OVL_BPF_MAX_SITES 32
#define OVL_BPF_MAX_ATTACH 64

struct ovl_bpf;

enum graft_status ovl_bpf_create(struct ovl_bpf **out,
				 const struct ovl_bpf_opts *opts,
				 struct graft_err *err);
void ovl_bpf_free(struct ovl_bpf *b);

/*
 * Fill svc's bpf_exec, bpf_attach, bpf_detach, bpf_list, bpf_map_get/put/
 * del/dump and trace entries with b's; stats is chained (b's lines after
 * the one svc had).
 */
void ovl_bpf_services(struct ovl_bpf *b, struct ovl_services *svc);

/*
 * The trampoline's entry into the attached programs of a site: args are
 * the function's argument registers (the programs' context, read-only),
 * ret_addr its return address. Runs each program attached there, counting
 * hits, time and errors; a failing program is reported in bpf_list and the
 * function goes on. A nested entry (a traced function called from inside
 * a program's helper) is counted as missed, not run.
 */
void ovl_bpf_enter(struct ovl_bpf *b, uint32_t site, const uint64_t args[6],
		   uint64_t ret_addr);

/* ----------------------------------------------------------------------- */
/* Function-entry patching over the platform (graft/platform.h)           */

/*
 * A real ovl_bpf_host.hook: bpf_attach rewrites the entry of a function
 * built with -fpatchable-function-entry=5,0 (five one-byte NOPs, after an
 * endbr64 if there is one) to call a per-site trampoline, which saves the
 * argument registers (integer and vector), aligns the stack, calls
 * ovl_bpf_enter with the arguments and the traced call's return address,
 * restores them and resumes the body; detach writes the NOPs back exactly.
 * A function without the NOP entry is refused with an error naming the
 * flag. Use: create the patcher; give the ovl_bpf a host.hook that calls
 * ovl_entry_hook(patcher, ...) (or ovl_entry_hook itself when host.ud is
 * the patcher); create the ovl_bpf, then ovl_entry_bind it. Free the
 * ovl_bpf first (it detaches), then the patcher, which restores any entry
 * still patched and frees the trampolines.
 */
struct ovl_entry;

enum graft_status ovl_entry_create(struct ovl_entry **out,
				   const struct graft_alloc *alloc,
				   struct graft_err *err);
void ovl_entry_bind(struct ovl_entry *e, struct ovl_bpf *b);
enum graft_status ovl_entry_hook(void *entry, uint64_t addr, uint32_t site,
				 bool on, struct graft_err *err);
void ovl_entry_free(struct ovl_entry *e);

/* ----------------------------------------------------------------------- */
/* Native programs: load, run, unload                                     */

/*
 * A native program is a relocatable x86-64 ELF object (gcc -c -O2, with
 * -fPIC or not) whose entry is `int main(int argc, char **argv)`. It is
 * linked at load time against the running image's symbols (host.sym_addr)
 * and `void overlay_puts(const char *)` (output to the console of the
 * command that runs it, through a per-program thunk), and cached by
 * content hash: loading the same bytes again skips parsing and relocation.
 * Calls to far symbols go through stubs, so code may live anywhere.
 */
#define OVL_NATIVE_MAX 16

enum { OVL_PROT_R = 1, OVL_PROT_W = 2, OVL_PROT_X = 4 };

struct ovl_native_host {
	void *ud;
	enum graft_status (*read_file)(void *ud, const char *path,
				       const struct graft_alloc *alloc,
				       void **data, size_t *len,
				       struct graft_err *err);
	uint64_t (*sym_addr)(void *ud, const char *name);
	uint64_t (*now_ns)(void *ud);
	/* Page-aligned, zeroed, read-write memory; protect takes OVL_PROT_*. */
	void *(*pages_alloc)(void *ud, size_t len);
	int (*pages_protect)(void *ud, void *p, size_t len, unsigned prot);
	void (*pages_free)(void *ud, void *p, size_t len);
	/*
	 * Run entry(argc, argv) isolated where the platform can (protection
	 * keys: the application's memory read-only); a fault becomes an error
	 * and the application goes on. NULL: a plain call. *isolation names
	 * what was used ("PKU", "none").
	 */
	enum graft_status (*call)(void *ud, int (*entry)(int, char **),
				  int argc, char **argv, int *ret,
				  const char **isolation, struct graft_err *err);
	/* Inside call: lift the isolation while overlay_puts writes to the
	 * console (which is application memory), then put it back. NULL:
	 * nothing to lift. */
	uint64_t (*suspend)(void *ud);
	void (*resume)(void *ud, uint64_t token);
};

struct ovl_native;

enum graft_status ovl_native_create(struct ovl_native **out,
				    const struct ovl_native_host *host,
				    const struct graft_alloc *alloc,
				    struct graft_err *err);
void ovl_native_free(struct ovl_native *n);
/* Fill svc's load, run and unload entries. */
void ovl_native_services(struct ovl_native *n, struct ovl_services *svc);

/* ----------------------------------------------------------------------- */
/* The overlay on a graft platform (graft/platform.h)                     */

struct ovl_console_opts {
	struct graft_alloc alloc;
	unsigned prog_flags;   /* EBPF_F_* for eBPF programs */
};

struct ovl_console;

/*
 * Start the overlay beside the application: a cooperative thread serving
 * the platform's console channel (one client after another) with the
 * platform's files (ls, cat), signals (kill: HUP, USR1, USR2), stats and
 * symbols, and the eBPF and native program services. GRAFT_ENOTSUP when
 * this run has no console channel.
 */
enum graft_status ovl_console_start(struct ovl_console **out,
				    const struct ovl_console_opts *opts,
				    struct graft_err *err);
/* Stop the thread (it notices within 200 ms) and free everything. */
void ovl_console_stop(struct ovl_console *c);

/* ----------------------------------------------------------------------- */
/* Parsing, shared by the services                                         */

/*
 * Split a line into words in place (buf gets NUL-separated words; argv
 * points into it). Rejects control bytes, unterminated quotes and more
 * than OVL_MAX_ARGS words, naming the column.
 */
enum graft_status ovl_split(char *buf, size_t n, int *argc,
			    char *argv[OVL_MAX_ARGS], struct graft_err *err);

/* A number: decimal, 0x hex, or negative decimal (two's complement). */
enum graft_status ovl_parse_u64(const char *s, uint64_t *v,
				struct graft_err *err);
bool ovl_is_number(const char *s);

/*
 * A map key or value of exactly size bytes: a number (stored little-endian,
 * must fit), "A,B" for 16 bytes (two u64, as the two-key store's keys), or
 * "hex:" followed by 2*size hex digits (bytes in order).
 */
enum graft_status ovl_parse_bytes(const char *s, void *buf, size_t size,
				  struct graft_err *err);

/* A signal: HUP, SIGHUP or 1 (Linux x86-64 numbers, 1..64). */
enum graft_status ovl_parse_signal(const char *s, int *sig,
				   struct graft_err *err);
const char *ovl_signal_name(int sig);

#endif
