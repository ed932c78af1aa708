/*
 * kernel/entry.S — the ways into the kernel that are not calls: exception
 * and interrupt stubs (on IST stacks, FPU/SSE state saved with fxsave so
 * handlers may use any register), the `syscall` instruction issued in
 * ring 0 by musl, and the cooperative context switch.
 */
	.text

/* Exception/IRQ stubs: push a zero error code where the CPU pushes none. */
.macro STUB vec, has_err
	.p2align 4
isr_stub_\vec:
	.if \has_err == 0
	pushq $0
	.endif
	pushq $\vec
	jmp trap_common
.endm

.irp v, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,31
	STUB \v, 0
.endr
.irp v, 8,10,11,12,13,14,17,21,29,30
	STUB \v, 1
.endr
.irp v, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,255
	STUB \v, 0
.endr

	.section .rodata
	.p2align 3
	.globl isr_stub_table
isr_stub_table:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad isr_stub_\v
.endr
.irp v, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
	.quad isr_stub_\v
.endr
	.quad isr_stub_255
	.text

trap_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rbx
	subq $512, %rsp
	andq $-16, %rsp
	fxsave (%rsp)
	movq %rbx, %rdi
	cld
	call trap_dispatch
	fxrstor (%rsp)
	movq %rbx, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp
	iretq

/*
 * syscall from ring 0: no stack switch, %rcx = return address, %r11 =
 * flags, IF cleared by SFMASK. We step over the caller's 128-byte red zone,
 * save every register Linux preserves (all but rax, rcx, r11, and the SSE
 * state), and return with popfq + `ret $128` so nothing below the caller's
 * %rsp is written after it is restored.
 */
	.globl syscall_entry
syscall_entry:
	subq $128, %rsp
	pushq %rcx
	pushq %r11
	pushq %rbx
	pushq %rbp
	pushq %rdi
	pushq %rsi
	pushq %rdx
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rbx
	subq $512, %rsp
	andq $-16, %rsp
	fxsave (%rsp)
	sti
	cld
	/* syscall_dispatch(nr, a0..a5): a3 arrives in %r10, a5 goes on the stack. */
	subq $8, %rsp
	pushq %r9
	movq %r8, %r9
	movq %r10, %r8
	movq %rdx, %rcx
	movq %rsi, %rdx
	movq %rdi, %rsi
	movq %rax, %rdi
	call syscall_dispatch
	addq $16, %rsp
	cli
	fxrstor (%rsp)
	movq %rbx, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r10
	popq %r9
	popq %r8
	popq %rdx
	popq %rsi
	popq %rdi
	popq %rbp
	popq %rbx
	popfq
	ret $128

/*
 * ctx_switch(uint64_t *save_rsp, uint64_t new_rsp): save the callee-saved
 * registers of the current thread on its stack, switch stacks, restore the
 * next thread's. A new thread's stack is prepared by sched.c to "return"
 * into thread_trampoline.
 */
	.globl ctx_switch
ctx_switch:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	pushfq
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	popfq
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

	.globl thread_trampoline
thread_trampoline:
	movq %r12, %rdi
	movq %r13, %rsi
	xorl %ebp, %ebp
	call thread_start
	ud2
