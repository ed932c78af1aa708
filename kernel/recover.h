/*
 * kernel/recover.h — recovery from an exception in thread context, for
 * gp_call_isolated (kernel/platform.c): when fault_recover is set, the
 * exception handler (kernel/cpu.c) records the fault, clears the pointer
 * and resumes at the point fault_recover_save saved, where the save
 * appears to return 1 (like setjmp/longjmp, but through iretq, so the
 * interrupt flag and stacks come back as they were).
 */
#ifndef GRAFT_KERNEL_RECOVER_H
#define GRAFT_KERNEL_RECOVER_H

#include <stdint.h>

struct fault_recover {
	uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip; /* saved by the save */
	uint64_t vector, error, addr, pc;                /* filled on a fault */
};

extern struct fault_recover *fault_recover;
/* 0 when saving; 1 when resumed after a fault. */
__attribute__((returns_twice)) int fault_recover_save(struct fault_recover *r);
/* Give the exception stacks their own protection key (isolated calls
 * write-disable every other key, and the CPU must still push a frame). */
int cpu_ist_pkey(int key);

#endif
