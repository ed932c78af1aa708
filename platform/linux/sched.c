/*
 * platform/linux/sched.c — cooperative threads inside one Linux process,
 * with the kernel's semantics: FIFO run queue, timed waits, wait queues,
 * join frees. Stacks come from mmap with a PROT_NONE guard page below.
 * The idle loop is poll() over the descriptors threads wait on.
 *
 * The switch saves callee-saved registers on the old stack (x86-64 SysV);
 * under ASan the fiber switch is announced so its stack checks follow.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#if defined(__SANITIZE_ADDRESS__)
#include <pthread.h>
#include <sanitizer/common_interface_defs.h>
#define LP_ASAN 1
static void *main_stack_lo;
static size_t main_stack_len;
#endif

enum { T_RUNNABLE, T_BLOCKED, T_DONE };

struct gp_thread {
	uint64_t rsp;
	struct gp_thread *next, *timed_next;
	uint8_t *stack;
	size_t stack_len;
	int state, timed_out, on_timed;
	uint64_t deadline;
	struct gp_waitq *waiting;
	struct gp_waitq joiners;
	int wait_fd;
	short wait_events, ready;
	int errno_val;
	void (*fn)(void *);
	void *arg;
	char name[24];
};

static struct gp_thread main_thread = { .name = "main", .wait_fd = -1 };
static struct gp_thread *current = &main_thread;
static struct gp_waitq runq;
static struct gp_thread *timed;
static struct gp_thread *fd_waiters[256];
static unsigned nfd_waiters;

void lp_ctx_switch(uint64_t *save, uint64_t next);
void lp_thread_entry(void);
__asm__(".text\n"
	".globl lp_ctx_switch\n"
	"lp_ctx_switch:\n"
	"  pushq %rbp\n  pushq %rbx\n  pushq %r12\n  pushq %r13\n  pushq %r14\n  pushq %r15\n"
	"  subq $8, %rsp\n  stmxcsr (%rsp)\n  fnstcw 4(%rsp)\n"
	"  movq %rsp, (%rdi)\n  movq %rsi, %rsp\n"
	"  ldmxcsr (%rsp)\n  fldcw 4(%rsp)\n  addq $8, %rsp\n"
	"  popq %r15\n  popq %r14\n  popq %r13\n  popq %r12\n  popq %rbx\n  popq %rbp\n"
	"  ret\n"
	".globl lp_thread_entry\n"
	"lp_thread_entry:\n"
	"  movq %r12, %rdi\n  xorl %ebp, %ebp\n  call lp_thread_start\n  ud2\n");

static void q_push(struct gp_waitq *q, struct gp_thread *t)
{
	t->next = NULL;
	if (q->tail)
		((struct gp_thread *)q->tail)->next = t;
	else
		q->head = t;
	q->tail = t;
}

static struct gp_thread *q_pop(struct gp_waitq *q)
{
	struct gp_thread *t = q->head;
	if (t) {
		q->head = t->next;
		if (!q->head)
			q->tail = NULL;
		t->next = NULL;
	}
	return t;
}

static void q_remove(struct gp_waitq *q, struct gp_thread *t)
{
	struct gp_thread *prev = NULL;
	for (struct gp_thread *c = q->head; c; prev = c, c = c->next)
		if (c == t) {
			if (prev)
				prev->next = c->next;
			else
				q->head = c->next;
			if (q->tail == t)
				q->tail = prev;
			t->next = NULL;
			return;
		}
}

static void timed_remove(struct gp_thread *t)
{
	if (!t->on_timed)
		return;
	for (struct gp_thread **pp = &timed; *pp; pp = &(*pp)->timed_next)
		if (*pp == t) {
			*pp = t->timed_next;
			break;
		}
	t->on_timed = 0;
}

static void fd_wait_remove(struct gp_thread *t)
{
	for (unsigned i = 0; i < nfd_waiters; i++)
		if (fd_waiters[i] == t) {
			fd_waiters[i] = fd_waiters[--nfd_waiters];
			return;
		}
}

static void make_runnable(struct gp_thread *t)
{
	timed_remove(t);
	if (t->wait_fd >= 0) {
		fd_wait_remove(t);
		t->wait_fd = -1;
	}
	t->state = T_RUNNABLE;
	t->waiting = NULL;
	q_push(&runq, t);
}

static uint64_t wake_due(void)
{
	uint64_t now = lp_now(), next = ~0ULL;
	struct gp_thread **pp = &timed;
	while (*pp) {
		struct gp_thread *t = *pp;
		if (t->deadline <= now) {
			*pp = t->timed_next;
			t->on_timed = 0;
			if (t->waiting)
				q_remove(t->waiting, t);
			t->timed_out = 1;
			make_runnable(t);
			continue;
		}
		if (t->deadline < next)
			next = t->deadline;
		pp = &t->timed_next;
	}
	return next;
}

/* Sleep in poll() until a waited-for descriptor is ready or the deadline. */
static void idle(uint64_t deadline, int block)
{
	struct pollfd pfd[256];
	unsigned n = nfd_waiters;
	for (unsigned i = 0; i < n; i++) {
		pfd[i].fd = fd_waiters[i]->wait_fd;
		pfd[i].events = fd_waiters[i]->wait_events;
		pfd[i].revents = 0;
	}
	int timeout = 0;
	if (block) {
		uint64_t now = lp_now();
		if (deadline == ~0ULL)
			timeout = n ? -1 : 1000;
		else
			timeout = deadline > now ? (int)((deadline - now + 999999) / 1000000) : 0;
	}
	if (!n && block) {
		if (timeout < 0)
			timeout = 1000;
		struct timespec ts = { timeout / 1000, (long)(timeout % 1000) * 1000000L };
		if (deadline != ~0ULL) { /* sleep to the exact deadline, not a whole ms */
			uint64_t now = lp_now(), d = deadline > now ? deadline - now : 0;
			ts.tv_sec = (time_t)(d / 1000000000ULL);
			ts.tv_nsec = (long)(d % 1000000000ULL);
		}
		nanosleep(&ts, NULL);
		return;
	}
	if (poll(pfd, n, timeout) <= 0)
		return;
	struct gp_thread *ready[256];
	unsigned nr = 0;
	for (unsigned i = 0; i < n; i++)
		if (pfd[i].revents)
			ready[nr++] = fd_waiters[i], ready[nr - 1]->ready = pfd[i].revents;
	for (unsigned i = 0; i < nr; i++)
		make_runnable(ready[i]);
}

static void schedule(void)
{
	struct gp_thread *next;
	int polled = 0;
	for (;;) {
		uint64_t deadline = wake_due();
		if (nfd_waiters && !polled) { /* let ready descriptors in, without blocking */
			idle(deadline, 0);
			polled = 1;
		}
		next = q_pop(&runq);
		if (next)
			break;
		idle(wake_due(), 1);
	}
	if (next == current)
		return;
	struct gp_thread *prev = current;
	prev->errno_val = errno;
	current = next;
#ifdef LP_ASAN
	void *fake;
	if (!main_stack_lo) {
		pthread_attr_t a;
		if (!pthread_getattr_np(pthread_self(), &a)) {
			pthread_attr_getstack(&a, &main_stack_lo, &main_stack_len);
			pthread_attr_destroy(&a);
		}
	}
	__sanitizer_start_switch_fiber(prev->state == T_DONE ? NULL : &fake,
				       next == &main_thread ? main_stack_lo : next->stack + getpagesize(),
				       next == &main_thread ? main_stack_len : next->stack_len - (size_t)getpagesize());
#endif
	lp_ctx_switch(&prev->rsp, next->rsp);
#ifdef LP_ASAN
	__sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
	errno = current->errno_val;
}

void gp_thread_yield(void)
{
	lp_init();
	q_push(&runq, current);
	schedule();
}

void lp_thread_start(struct gp_thread *t);
void lp_thread_start(struct gp_thread *t)
{
#ifdef LP_ASAN
	__sanitizer_finish_switch_fiber(NULL, NULL, NULL);
#endif
	t->fn(t->arg);
	t->state = T_DONE;
	gp_wake_all(&t->joiners);
	schedule();
	abort();
}

struct gp_thread *gp_thread_create(void (*fn)(void *), void *arg, size_t stack, const char *name)
{
	lp_init();
	size_t page = (size_t)getpagesize();
	if (!stack)
		stack = 64 * 1024;
#ifdef LP_ASAN
	stack *= 4; /* ASan's redzones make frames bigger */
#endif
	stack = (stack + page - 1) / page * page + page;
	struct gp_thread *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->stack = mmap(NULL, stack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->stack == MAP_FAILED) {
		free(t);
		return NULL;
	}
	mprotect(t->stack, page, PROT_NONE);
	t->stack_len = stack;
	t->fn = fn;
	t->arg = arg;
	t->wait_fd = -1;
	snprintf(t->name, sizeof t->name, "%s", name ? name : "thread");
	uint64_t *sp = (uint64_t *)(t->stack + stack);
	*--sp = 0;
	*--sp = (uint64_t)lp_thread_entry;
	*--sp = 0;             /* rbp */
	*--sp = 0;             /* rbx */
	*--sp = (uint64_t)t;   /* r12 */
	*--sp = 0;             /* r13 */
	*--sp = 0;             /* r14 */
	*--sp = 0;             /* r15 */
	*--sp = 0x037f00001f80ULL; /* mxcsr 0x1f80, x87 control word 0x37f */
	t->rsp = (uint64_t)sp;
	t->state = T_RUNNABLE;
	q_push(&runq, t);
	return t;
}

int gp_thread_join(struct gp_thread *t)
{
	if (!t || t == current || t == &main_thread)
		return -EINVAL;
	while (t->state != T_DONE)
		gp_wait(&t->joiners, 0);
	munmap(t->stack, t->stack_len);
	free(t);
	return 0;
}

struct gp_thread *gp_thread_self(void) { return current; }
const char *gp_thread_name(const struct gp_thread *t) { return t ? t->name : "?"; }

int lp_is_guard(uintptr_t addr)
{
	/* Only the running thread's guard can be hit in practice. */
	return current != &main_thread && addr >= (uintptr_t)current->stack &&
	       addr < (uintptr_t)current->stack + (uintptr_t)getpagesize();
}

const char *lp_thread_current_name(void);
const char *lp_thread_current_name(void) { return current->name; }

int gp_wait(struct gp_waitq *q, uint64_t deadline)
{
	lp_init();
	current->state = T_BLOCKED;
	current->timed_out = 0;
	current->waiting = q;
	q_push(q, current);
	if (deadline) {
		current->deadline = deadline;
		current->on_timed = 1;
		current->timed_next = timed;
		timed = current;
	}
	schedule();
	return current->timed_out ? -ETIMEDOUT : 0;
}

void gp_wake_one(struct gp_waitq *q)
{
	struct gp_thread *t = q_pop(q);
	if (t)
		make_runnable(t);
}

void gp_wake_all(struct gp_waitq *q)
{
	struct gp_thread *t;
	while ((t = q_pop(q)))
		make_runnable(t);
}

void gp_sleep_ns(uint64_t ns)
{
	lp_init();
	current->state = T_BLOCKED;
	current->timed_out = 0;
	current->waiting = NULL;
	current->deadline = lp_now() + ns;
	current->on_timed = 1;
	current->timed_next = timed;
	timed = current;
	schedule();
}

int lp_wait_fd(int fd, short events, uint64_t deadline)
{
	if (nfd_waiters >= sizeof fd_waiters / sizeof fd_waiters[0])
		return -EAGAIN;
	current->state = T_BLOCKED;
	current->timed_out = 0;
	current->waiting = NULL;
	current->wait_fd = fd;
	current->wait_events = events;
	current->ready = 0;
	fd_waiters[nfd_waiters++] = current;
	if (deadline) {
		current->deadline = deadline;
		current->on_timed = 1;
		current->timed_next = timed;
		timed = current;
	}
	schedule();
	return current->timed_out ? -ETIMEDOUT : 0;
}
