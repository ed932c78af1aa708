/*
 * graft/platform.h — the services an application or a graft use (overlay,
 * MapReduce, router) needs, with one implementation per platform:
 * kernel/ (our unikernel under QEMU) and platform/linux/ (a Linux process).
 * Prefix: gp_.
 *
 * Model. One address space, cooperative threads: a thread runs until it
 * yields, sleeps, waits, or blocks in a gp_ call; nothing preempts it, so
 * code between two such calls needs no locks. Every blocking gp_ call
 * yields to the other threads (the overlay's console thread runs beside
 * the application this way). On the unikernel, plain blocking system calls
 * (read on the 9p share, nanosleep) also yield; on Linux they block the
 * whole process, so portable code waits through gp_ calls.
 *
 * Errors: functions returning int give 0 or a negative errno value
 * (-ENOENT, -ETIMEDOUT, ...); ssize_t-returning ones give a count or a
 * negative errno. Nothing here prints or aborts.
 *
 * Configuration. Unikernel: kernel options on the QEMU command line
 * (`-append "key=value ... -- argv..."`, see `graft vm run`). Linux: the
 * environment — GRAFT_CONSOLE (unix socket path for the console channel),
 * GRAFT_ROOT (directory holding the files, default "."), GRAFT_SHARE
 * (directory seen as /share), GRAFT_NET ("udp:LPORT:RHOST:RPORT" frames as
 * UDP datagrams, the format of QEMU's -netdev socket,udp=; or
 * "pcap:IN,OUT"), GRAFT_IP (our IPv4 address for gp_udp_*). The Linux
 * platform reads them once, when the process starts.
 *
 * Thread-local storage: on the unikernel each thread has its own thread
 * pointer and TLS block, so errno and _Thread_local variables are per
 * thread. On Linux the threads are fibers of one process thread: errno is
 * kept per thread, _Thread_local variables are shared by all of them.
 */
#ifndef GRAFT_PLATFORM_H
#define GRAFT_PLATFORM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* "kernel" or "linux". */
const char *gp_name(void);

/* ---- time ---- */
uint64_t gp_now_ns(void);              /* monotonic, since start */
uint64_t gp_boot_ns(void);             /* kernel entry to main() (Linux: 0) */
void gp_sleep_ns(uint64_t ns);         /* yields to other threads */

/* ---- memory ---- */
#define GP_PROT_NONE 0
#define GP_PROT_READ 1
#define GP_PROT_WRITE 2
#define GP_PROT_EXEC 4
/* Page-granular memory (zeroed), for code and data of loaded programs. */
void *gp_pages_alloc(size_t len, int prot);
int gp_pages_free(void *addr, size_t len);
int gp_pages_protect(void *addr, size_t len, int prot);
size_t gp_page_size(void);
struct gp_mem_stats {
	uint64_t total;  /* bytes the platform manages (guest RAM; Linux: 0) */
	uint64_t used;   /* bytes in use (guest: pages taken; Linux: RSS) */
	uint64_t heap;   /* kernel heap bytes in use (Linux: 0) */
};
void gp_mem_stats(struct gp_mem_stats *st);

/* Protection keys: gp_pkey_supported() is 0 where the CPU lacks PKU. */
int gp_pkey_supported(void);
int gp_pkey_alloc(void);                                   /* key or -errno */
int gp_pkey_protect(void *addr, size_t len, int prot, int key);
uint32_t gp_pkru_read(void);
void gp_pkru_write(uint32_t pkru);

/* ---- code patching (the overlay's function-entry tracing) ----
 * gp_text_alloc: zeroed read-write pages within 1 GiB of near, so that a
 * 5-byte rel32 call at near reaches them (protect them read+exec with
 * gp_pages_protect before running them); NULL when there is no room.
 * gp_text_patch: overwrite len (1..16) bytes of the image's code at addr.
 * The caller guarantees that no thread is executing those bytes (with
 * cooperative threads: no thread can be suspended inside them); 0,
 * -EINVAL, -EFAULT (not mapped) or -ENOTSUP where code cannot be written.
 */
void *gp_text_alloc(size_t len, const void *near);
int gp_text_patch(void *addr, const void *bytes, size_t len);

/* ---- isolated calls (the overlay's native programs) ----
 * gp_call_isolated runs fn(argc, argv) so that a fault inside it (a bad
 * pointer, a write the protection keys forbid, an invalid opcode) ends the
 * call with -EFAULT and *fault filled, instead of ending the process; 0
 * when fn returned (*ret). Where the platform can (the unikernel on a CPU
 * with PKU), fn runs on a stack of its own with every page write-disabled
 * but its own domain's, whose pages carry gp_isolation_key()
 * (gp_pkey_protect them), and with interrupts off; *isolation is then
 * "PKU", else "none". Inside the call, gp_isolation_suspend() lifts the
 * protection for the host's own work (console output) and
 * gp_isolation_resume(token) puts it back.
 */
struct gp_fault {
	int vector;       /* x86 exception: 14 page fault, 13 #GP, 6 #UD... */
	uint64_t error;   /* its error code (page faults: bit 1 write, 5 key) */
	uint64_t addr;    /* faulting address (page faults) */
	uint64_t pc;      /* instruction */
};
int gp_isolation_key(void);   /* key for the domain's pages, or -ENOTSUP */
int gp_call_isolated(int (*fn)(int, char **), int argc, char **argv, int *ret,
		     const char **isolation, struct gp_fault *fault);
uint64_t gp_isolation_suspend(void);
void gp_isolation_resume(uint64_t token);

/* ---- cooperative threads ---- */
struct gp_thread;
struct gp_thread *gp_thread_create(void (*fn)(void *), void *arg, size_t stack_size,
				   const char *name);           /* NULL on failure */
int gp_thread_join(struct gp_thread *t);                   /* frees t */
void gp_thread_yield(void);
struct gp_thread *gp_thread_self(void);
const char *gp_thread_name(const struct gp_thread *t);

/* A wait queue: zero-initialize (GP_WAITQ_INIT) before use. */
struct gp_waitq {
	void *head, *tail;
};
#define GP_WAITQ_INIT { 0, 0 }
/* Block until woken or the absolute deadline (gp_now_ns() scale; 0 = none):
 * 0 when woken, -ETIMEDOUT otherwise. */
int gp_wait(struct gp_waitq *q, uint64_t deadline_ns);
void gp_wake_one(struct gp_waitq *q);
void gp_wake_all(struct gp_waitq *q);

/* ---- console channel (the overlay's byte stream) ----
 * Unikernel: a virtio-console port the host reaches through a unix socket
 * (`graft vm run --console SOCK`). Linux: a unix socket the process listens
 * on (GRAFT_CONSOLE). One client at a time; when it goes, the next may come.
 */
int gp_console_available(void);  /* 1 if this run has a console channel */
/* Up to cap bytes; waits (yielding) for data until the deadline (0 = none;
 * then -ETIMEDOUT). -ENOTCONN: the client hung up (Linux; the next read
 * waits for a new one). Writes with no client connected give -ENOTCONN on
 * Linux and are dropped by QEMU on the unikernel. */
ssize_t gp_console_read(void *buf, size_t cap, uint64_t deadline_ns);
ssize_t gp_console_write(const void *buf, size_t len); /* all or -errno */

/* ---- files ----
 * One namespace on both platforms: "/" is the platform's file store
 * (unikernel: RAM fs with the image's built-in files; Linux: GRAFT_ROOT)
 * and "/share" the directory shared with the host (unikernel: 9p).
 * On the unikernel ordinary POSIX calls see the same namespace.
 */
#define GP_O_READ 1
#define GP_O_WRITE 2
#define GP_O_CREATE 4
#define GP_O_TRUNC 8
#define GP_O_APPEND 16
int gp_open(const char *path, int flags);                  /* handle or -errno */
ssize_t gp_read(int h, void *buf, size_t n);
ssize_t gp_write(int h, const void *buf, size_t n);
int gp_close(int h);
struct gp_stat {
	uint64_t size;
	int is_dir;
};
int gp_stat(const char *path, struct gp_stat *st);
/* Calls fn for each entry but "." and ".."; stops early when fn returns
 * nonzero (and returns that value). */
int gp_readdir(const char *path, int (*fn)(void *ctx, const char *name, int is_dir), void *ctx);
int gp_mkdir(const char *path);
int gp_unlink(const char *path);

/* ---- network ----
 * Raw frames (Ethernet II, no FCS), for the router. Once an application
 * calls gp_net_raw(1), received frames go to gp_net_recv instead of the
 * built-in ARP/IPv4/ICMP/UDP path.
 */
int gp_net_available(void);
int gp_net_mac(uint8_t mac[6]);
int gp_net_raw(int on);
int gp_net_send(const void *frame, size_t len);
ssize_t gp_net_recv(void *buf, size_t cap, uint64_t deadline_ns);

/* UDP over the built-in IPv4 path (Linux: host UDP sockets). Addresses are
 * IPv4 in host byte order. (On the unikernel, BSD UDP sockets work too, as
 * system calls over the same path; on Linux they block the process.) */
uint32_t gp_ip_addr(void);
int gp_udp_open(uint16_t port);                            /* socket or -errno */
int gp_udp_send(int s, uint32_t ip, uint16_t port, const void *buf, size_t len);
ssize_t gp_udp_recv(int s, void *buf, size_t cap, uint32_t *ip, uint16_t *port,
		    uint64_t deadline_ns);
int gp_udp_close(int s);
uint32_t gp_ip_parse(const char *dotted);                  /* 0 if malformed */

/* ---- symbols of the running image ---- */
int gp_sym_lookup(const char *name, uintptr_t *addr, size_t *size); /* 0 or -ENOENT */
/* Name of the symbol containing addr (NULL if none); *off = addr - start. */
const char *gp_sym_name(uintptr_t addr, uintptr_t *off);
size_t gp_sym_count(void);
int gp_sym_at(size_t i, const char **name, uintptr_t *addr, size_t *size);

/* ---- signals and exit ---- */
/* Run the application's handler for sig (installed with signal() or
 * sigaction()) on the calling thread. */
int gp_raise(int sig);
_Noreturn void gp_exit(int status);

#endif
