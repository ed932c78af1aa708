/*
 * kernel/kernel.h — what the kernel's modules share. Not a public header:
 * applications and the libraries above see only include/graft/platform.h.
 *
 * The kernel runs everything in ring 0 on one CPU with identity-mapped
 * physical memory. Interrupts run on their own IST stacks (the application
 * and musl keep data in the red zone below %rsp) and never switch threads;
 * all scheduling happens in thread context.
 */
#ifndef GRAFT_KERNEL_H
#define GRAFT_KERNEL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define PAGE_SIZE 4096UL
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((uintptr_t)(a) - 1))
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Exit statuses the host sees besides the application's own. */
#define KEXIT_PANIC 120 /* exception, assertion, out of memory */
#define KEXIT_CMDLINE 121 /* malformed kernel command line */

/* ---- port I/O and CPU helpers ---- */
static inline void outb(uint16_t p, uint8_t v) { __asm__ volatile("outb %0,%1" ::"a"(v), "Nd"(p)); }
static inline void outw(uint16_t p, uint16_t v) { __asm__ volatile("outw %0,%1" ::"a"(v), "Nd"(p)); }
static inline void outl(uint16_t p, uint32_t v) { __asm__ volatile("outl %0,%1" ::"a"(v), "Nd"(p)); }
static inline uint8_t inb(uint16_t p) { uint8_t v; __asm__ volatile("inb %1,%0" : "=a"(v) : "Nd"(p)); return v; }
static inline uint16_t inw(uint16_t p) { uint16_t v; __asm__ volatile("inw %1,%0" : "=a"(v) : "Nd"(p)); return v; }
static inline uint32_t inl(uint16_t p) { uint32_t v; __asm__ volatile("inl %1,%0" : "=a"(v) : "Nd"(p)); return v; }
static inline uint64_t rdtsc(void) { uint32_t lo, hi; __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi)); return ((uint64_t)hi << 32) | lo; }
static inline void wrmsr(uint32_t msr, uint64_t v) { __asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))); }
static inline uint64_t rdmsr(uint32_t msr) { uint32_t lo, hi; __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr)); return ((uint64_t)hi << 32) | lo; }
static inline void irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }
static inline uint64_t irq_save(void) { uint64_t f; __asm__ volatile("pushfq; popq %0; cli" : "=r"(f)::"memory"); return f; }
static inline void irq_restore(uint64_t f) { if (f & 0x200) irq_enable(); }
static inline void cpu_relax(void) { __asm__ volatile("pause"); }

/* ---- log and exit (klog.c) ---- */
void serial_init(void);
void serial_write(const char *s, size_t n);
int serial_getc(void); /* -1 when nothing waits */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kvprintf(const char *fmt, va_list ap);
_Noreturn void kexit(int status);
_Noreturn void kpanic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define KASSERT(c) do { if (!(c)) kpanic("assertion failed: %s (%s:%d)", #c, __FILE__, __LINE__); } while (0)

/* ---- boot information (pvh.c) ---- */
struct mem_range { uint64_t base, len; };
struct boot_info {
	const char *cmdline;
	struct mem_range ram[16];
	unsigned nram;
	uint64_t ram_top; /* highest usable RAM address + 1 */
};
extern struct boot_info boot;
void pvh_parse(uint32_t start_info);

/* ---- CPU tables, exceptions, interrupts (cpu.c) ---- */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};
void cpu_init(void);
void lapic_init(void);
typedef void (*irq_handler_fn)(void *arg);
void irq_set_handler(unsigned irq, irq_handler_fn fn, void *arg);
void backtrace_from(uint64_t rbp, uint64_t rip);
extern int cpu_has_pku;

/* ---- memory (mm.c, heap.c) ---- */
void mm_init(void);
void *page_alloc(size_t npages); /* zeroed, identity mapped; NULL if none */
void page_free(void *p, size_t npages);
size_t mm_pages_total(void);
size_t mm_pages_free(void);
int map_range(uintptr_t va, uintptr_t pa, size_t len, uint64_t flags);
int unmap_range(uintptr_t va, size_t len, int free_frames);
int protect_range(uintptr_t va, size_t len, uint64_t flags);
uint64_t *pte_lookup(uintptr_t va);
uintptr_t vm_reserve(size_t len); /* virtual range above physical memory */
#define PTE_P 0x1ULL
#define PTE_W 0x2ULL
#define PTE_U 0x4ULL
#define PTE_PS 0x80ULL
#define PTE_NX (1ULL << 63)
#define PTE_PKEY_SHIFT 59
#define PTE_ADDR 0x000ffffffffff000ULL
#define PTE_GUARD (1ULL << 9) /* software bit: absent on purpose, frame kept */
void mm_guard_page(uintptr_t va);
/* System call pointers (mm.c): 0 when [p, p+len) may be read (or written)
 * by the kernel now, else -EFAULT; user_strlen gives the length of a
 * string of at most max bytes, -EFAULT, or -ENAMETOOLONG. */
int user_ok(const void *p, size_t len, int write);
long user_strlen(const char *s, size_t max);
#define USER_PATH_MAX 4096
void mm_unguard_page(uintptr_t va);
void *kmalloc(size_t n);
void *kzalloc(size_t n);
void kfree(void *p);
size_t heap_in_use(void);

/* ---- time (time.c) ---- */
void time_init(void);
uint64_t time_ns(void);  /* monotonic since boot */
uint64_t tsc_hz(void);
void timer_arm(uint64_t deadline_ns); /* one-shot interrupt at or after deadline */
extern uint64_t boot_tsc;

/* ---- threads (sched.c) ---- */
struct thread;
struct waitq { struct thread *head, *tail; };
void sched_init(void);
struct thread *thread_create(void (*fn)(void *), void *arg, size_t stack, const char *name);
void thread_yield(void);
int thread_join(struct thread *t);
void thread_sleep_until(uint64_t deadline_ns);
struct thread *thread_self(void);
const char *thread_name(struct thread *t);
/* Block until woken or deadline (0 = none); returns 0 when woken, -1 on timeout. */
int waitq_wait(struct waitq *q, uint64_t deadline_ns);
void waitq_wake_one(struct waitq *q);
void waitq_wake_all(struct waitq *q);
unsigned sched_thread_count(void);
void thread_set_fs(uint64_t fs); /* the calling thread's thread pointer */
/* Devices poll from the idle loop; a poller returns nonzero if it did work. */
void sched_add_poller(int (*fn)(void *), void *arg);
void ctx_switch(uint64_t *save_rsp, uint64_t new_rsp); /* entry.S */

/* ---- random bytes (random.c) ---- */
int random_hw(void); /* nonzero when the CPU has RDRAND */
int random_fill(void *buf, size_t n, int seed_grade); /* 0 or -EIO */
long sys_getrandom(void *buf, size_t n, unsigned flags);

/* ---- symbols (syms.c) ---- */
size_t sym_count(void);
int sym_at(size_t i, const char **name, uintptr_t *addr, size_t *size, char *type);
const char *sym_by_addr(uintptr_t addr, uintptr_t *off);
int sym_by_name(const char *name, uintptr_t *addr, size_t *size);

/* ---- kernel options from the command line (main.c) ---- */
const char *kopt(const char *key); /* NULL when not given */

/* ---- files (vfs.c, ramfs.c, p9fs.c) ---- */
struct stat;
struct file;
struct file_ops {
	long (*read)(struct file *f, void *buf, size_t n, uint64_t off);
	long (*write)(struct file *f, const void *buf, size_t n, uint64_t off);
	long (*getdents)(struct file *f, void *buf, size_t n); /* linux_dirent64 */
	int (*fstat)(struct file *f, struct stat *st);
	int (*truncate)(struct file *f, uint64_t len);
	void (*close)(struct file *f);
};
struct file {
	const struct file_ops *ops;
	void *priv;
	uint64_t off;
	int flags, refs;
	uint64_t dir_pos; /* getdents cursor */
};
struct fs_ops {
	/* path is relative to the mount ("" is its root), already normalized */
	int (*open)(void *fs, const char *path, int flags, int mode, struct file *f);
	int (*stat)(void *fs, const char *path, struct stat *st);
	int (*mkdir)(void *fs, const char *path, int mode);
	int (*unlink)(void *fs, const char *path, int is_dir);
};
void vfs_init(void);
int vfs_mount(const char *prefix, const struct fs_ops *ops, void *fs);
void *ramfs_create(void);
extern const struct fs_ops ramfs_ops;
long sys_file(long nr, long a0, long a1, long a2, long a3, int *handled);
int dirent_put(void *buf, size_t cap, size_t *used, uint64_t ino, uint64_t next, int is_dir, const char *name);

#endif
