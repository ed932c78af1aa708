/*
 * kernel/sched.c — cooperative threads on one CPU.
 *
 * A thread runs until it yields, sleeps, waits or ends; interrupts never
 * preempt (their handlers only count and set flags). Runnable threads are
 * a FIFO; sleepers and timed waiters sit on one list scanned when the run
 * queue is empty. With nothing to run, the idle loop polls the devices,
 * arms the one-shot timer for the earliest deadline and halts.
 *
 * Each thread has its own stack with an absent guard page below it, and its
 * own thread pointer (FS base, switched with the stack): a fresh copy of
 * the image's PT_TLS block under a copy of musl's thread descriptor, so
 * _Thread_local variables and errno (which musl keeps in the descriptor)
 * are per thread. See tls_create for what is copied and why.
 */
#include <errno.h>
#include <string.h>

#include "kernel.h"


enum { T_RUNNABLE, T_BLOCKED, T_DONE };

struct thread {
	uint64_t rsp;
	struct thread *next;      /* run queue or wait queue */
	struct thread *timed_next; /* list of threads with a deadline */
	uint8_t *stack;           /* lowest page is the guard */
	size_t stack_pages;
	int state, timed_out, on_timed;
	uint64_t deadline;
	struct waitq *waiting;
	struct waitq joiners;
	uint64_t fs_base;         /* thread pointer: musl's descriptor */
	void *tls;                /* block holding TLS + descriptor; NULL for main */
	void (*fn)(void *);
	void *arg;
	char name[24];
};

static struct thread main_thread = { .name = "main" };
static struct thread *current = &main_thread;
static struct waitq runq;
static struct thread *timed;
static unsigned nthreads = 1;

static struct {
	int (*fn)(void *);
	void *arg;
} pollers[8];
static unsigned npollers;

extern void thread_trampoline(void);
extern volatile uint64_t timer_irqs;
volatile int irq_work; /* set by device interrupt handlers */
uint64_t sched_poll_ns;  /* nonzero: devices without interrupts, poll this often */

struct thread *thread_self(void) { return current; }
const char *thread_name(struct thread *t) { return t ? t->name : "?"; }
unsigned sched_thread_count(void) { return nthreads; }

void sched_add_poller(int (*fn)(void *), void *arg)
{
	KASSERT(npollers < ARRAY_LEN(pollers));
	pollers[npollers].fn = fn;
	pollers[npollers].arg = arg;
	npollers++;
}

static void q_push(struct waitq *q, struct thread *t)
{
	t->next = NULL;
	if (q->tail)
		q->tail->next = t;
	else
		q->head = t;
	q->tail = t;
}

static struct thread *q_pop(struct waitq *q)
{
	struct thread *t = q->head;
	if (t) {
		q->head = t->next;
		if (!q->head)
			q->tail = NULL;
		t->next = NULL;
	}
	return t;
}

static void q_remove(struct waitq *q, struct thread *t)
{
	struct thread **pp = &q->head, *prev = NULL;
	for (; *pp; prev = *pp, pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			if (q->tail == t)
				q->tail = prev;
			t->next = NULL;
			return;
		}
}

static void timed_add(struct thread *t, uint64_t deadline)
{
	t->deadline = deadline;
	t->on_timed = 1;
	t->timed_next = timed;
	timed = t;
}

static void timed_remove(struct thread *t)
{
	if (!t->on_timed)
		return;
	for (struct thread **pp = &timed; *pp; pp = &(*pp)->timed_next)
		if (*pp == t) {
			*pp = t->timed_next;
			break;
		}
	t->on_timed = 0;
}

static void make_runnable(struct thread *t)
{
	timed_remove(t);
	t->state = T_RUNNABLE;
	t->waiting = NULL;
	q_push(&runq, t);
}

/* Wake due sleepers; returns the earliest remaining deadline (or ~0). */
static uint64_t wake_due(void)
{
	uint64_t now = time_ns(), next = ~0ULL;
	struct thread **pp = &timed;
	while (*pp) {
		struct thread *t = *pp;
		if (t->deadline <= now) {
			*pp = t->timed_next;
			t->on_timed = 0;
			if (t->waiting) {
				q_remove(t->waiting, t);
				t->timed_out = 1;
			}
			make_runnable(t);
			continue;
		}
		if (t->deadline < next)
			next = t->deadline;
		pp = &t->timed_next;
	}
	return next;
}

static int run_pollers(void)
{
	int did = 0;
	for (unsigned i = 0; i < npollers; i++)
		did |= pollers[i].fn(pollers[i].arg);
	return did;
}

/*
 * A thread's TLS, x86-64 variant II: the TLS block ends at the thread
 * pointer, which points at musl's thread descriptor (struct pthread, whose
 * first word is its own address, %fs:0, and which holds errno and the
 * stack-protector canary at %fs:0x28). musl's struct pthread is private,
 * so we copy the main thread's descriptor (made by musl's __init_tls) as a
 * template: locale, canary, tid and the rest stay valid, and only the
 * self and dtv words (ABI, offsets 0 and 8) are ours to fix. TD_COPY
 * covers musl 1.2.x's 216-byte descriptor with room to spare; what lies
 * past the real descriptor is copied but never read. The TLS offset is
 * computed the way musl and the linker do (TP - offset is the block).
 */
#define TD_COPY 256
#define TD_MIN 216
extern char __tdata_start[], __tdata_end[], __tls_memsz[], __tls_align[];
extern int libc_fs_set;

static uint64_t tls_create(void **block)
{
	uint64_t tmpl = main_thread.fs_base;
	static int odd_logged;
	if (*(uint64_t *)tmpl != tmpl) { /* not the descriptor we know: share it */
		if (!odd_logged++)
			kprintf("graft: the C library's thread pointer is not self-referent: threads share TLS\n");
		*block = NULL;
		return tmpl;
	}
	size_t memsz = (size_t)(uintptr_t)__tls_memsz, align = (size_t)(uintptr_t)__tls_align;
	if (align < 16)
		align = 16;
	size_t off = memsz + ((-memsz - (uintptr_t)__tdata_start) & (align - 1));
	size_t copy = TD_COPY;
	if (user_ok((void *)tmpl, copy, 0)) /* template near the end of its mapping */
		copy = ALIGN_UP(tmpl + TD_MIN, PAGE_SIZE) - tmpl;
	uint8_t *raw = kzalloc(off + TD_COPY + 2 * sizeof(uint64_t) + align);
	if (!raw)
		return 0;
	uintptr_t tp = ALIGN_UP((uintptr_t)raw + off, align);
	memcpy((void *)(tp - off), __tdata_start, (size_t)(__tdata_end - __tdata_start));
	memcpy((void *)tp, (void *)tmpl, copy < TD_COPY ? copy : TD_COPY);
	uint64_t *dtv = (uint64_t *)(tp + TD_COPY); /* one module: the image */
	dtv[0] = 1;
	dtv[1] = tp - off;
	((uint64_t *)tp)[0] = tp;
	((uint64_t *)tp)[1] = (uint64_t)dtv;
	*block = raw;
	return tp;
}

void thread_set_fs(uint64_t fs)
{
	current->fs_base = fs;
	wrmsr(0xc0000100, fs);
}

/* Pick the next thread and switch to it; the caller has queued itself or not. */
static void schedule(void)
{
	struct thread *next;
	for (;;) {
		uint64_t deadline = wake_due();
		if (npollers)
			run_pollers();
		next = q_pop(&runq);
		if (next)
			break;
		deadline = wake_due();
		next = q_pop(&runq);
		if (next)
			break;
		if (sched_poll_ns && npollers) {
			uint64_t poll_at = time_ns() + sched_poll_ns;
			if (poll_at < deadline)
				deadline = poll_at;
		}
		irq_disable();
		if (!irq_work) {
			if (deadline != ~0ULL)
				timer_arm(deadline);
			__asm__ volatile("sti; hlt" ::: "memory");
		}
		irq_work = 0;
		irq_enable();
	}
	if (next == current)
		return;
	struct thread *prev = current;
	current = next;
	if (next->fs_base != prev->fs_base)
		wrmsr(0xc0000100, next->fs_base);
	ctx_switch(&prev->rsp, next->rsp);
}

void thread_yield(void)
{
	/* Let devices deliver work and sleepers wake even if the queue is busy. */
	q_push(&runq, current);
	schedule();
}

void thread_start(void *a, void *b);
void thread_start(void *a, void *b)
{
	(void)b;
	struct thread *t = a;
	irq_enable();
	if (t->tls)
		errno = 0; /* the template's value was copied */
	t->fn(t->arg);
	t->state = T_DONE;
	waitq_wake_all(&t->joiners);
	schedule();
	kpanic("finished thread '%s' was scheduled", t->name);
}

struct thread *thread_create(void (*fn)(void *), void *arg, size_t stack, const char *name)
{
	if (stack < 2 * PAGE_SIZE)
		stack = 2 * PAGE_SIZE;
	size_t pages = ALIGN_UP(stack, PAGE_SIZE) / PAGE_SIZE + 1;
	struct thread *t = kzalloc(sizeof *t);
	if (!t)
		return NULL;
	t->stack = page_alloc(pages);
	if (!t->stack) {
		kfree(t);
		return NULL;
	}
	t->stack_pages = pages;
	t->fs_base = current->fs_base; /* before musl's start-up: the boot TP */
	if (libc_fs_set) {
		t->fs_base = tls_create(&t->tls);
		if (!t->fs_base) {
			page_free(t->stack, pages);
			kfree(t);
			return NULL;
		}
	}
	mm_guard_page((uintptr_t)t->stack);
	t->fn = fn;
	t->arg = arg;
	strncpy(t->name, name ? name : "thread", sizeof t->name - 1);
	uint64_t *sp = (uint64_t *)(t->stack + pages * PAGE_SIZE);
	/* The trampoline's call then enters thread_start with rsp % 16 == 8. */
	*--sp = (uint64_t)thread_trampoline; /* ret */
	*--sp = 0;                           /* rbp */
	*--sp = 0;                           /* rbx */
	*--sp = (uint64_t)t;                 /* r12 */
	*--sp = 0;                           /* r13 */
	*--sp = 0;                           /* r14 */
	*--sp = 0;                           /* r15 */
	*--sp = 0x2;                         /* rflags: interrupts off until started */
	t->rsp = (uint64_t)sp;
	t->state = T_RUNNABLE;
	nthreads++;
	q_push(&runq, t);
	return t;
}

int thread_join(struct thread *t)
{
	if (!t || t == current)
		return -EINVAL;
	while (t->state != T_DONE)
		waitq_wait(&t->joiners, 0);
	mm_unguard_page((uintptr_t)t->stack);
	page_free(t->stack, t->stack_pages);
	kfree(t->tls);
	kfree(t);
	nthreads--;
	return 0;
}

void thread_sleep_until(uint64_t deadline)
{
	if (deadline <= time_ns()) {
		thread_yield();
		return;
	}
	current->state = T_BLOCKED;
	timed_add(current, deadline);
	schedule();
}

int waitq_wait(struct waitq *q, uint64_t deadline)
{
	current->state = T_BLOCKED;
	current->timed_out = 0;
	current->waiting = q;
	q_push(q, current);
	if (deadline)
		timed_add(current, deadline);
	schedule();
	return current->timed_out ? -1 : 0;
}

void waitq_wake_one(struct waitq *q)
{
	struct thread *t = q_pop(q);
	if (t)
		make_runnable(t);
}

void waitq_wake_all(struct waitq *q)
{
	struct thread *t;
	while ((t = q_pop(q)))
		make_runnable(t);
}

void sched_init(void)
{
	main_thread.state = T_RUNNABLE;
	main_thread.fs_base = rdmsr(0xc0000100);
	(void)timer_irqs;
}
