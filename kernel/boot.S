/*
 * kernel/boot.S — PVH entry: 32-bit protected mode, paging off, %ebx =
 * physical address of the hvm_start_info. We build an identity map of the
 * first 1 GiB with 2 MiB pages (enough to reach C; mm.c replaces it with
 * the final 4 KiB tables), enable SSE, long mode and NX, then call
 * kmain(start_info) on the boot stack.
 */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

	.section .note.Xen, "a"
	.p2align 2
	.long 4, 4, XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.long pvh_start32

	.section .text.boot, "ax"
	.code32
	.globl pvh_start32
pvh_start32:
	cli
	cld
	movl %ebx, %edi                 /* start_info, kept for kmain */
	movl $boot_stack_top, %esp

	/* PML4[0] -> PDPT, PDPT[0] -> PD, PD[i] = i * 2 MiB (present, rw, PS). */
	movl $boot_pdpt, %eax
	orl $3, %eax
	movl %eax, boot_pml4
	movl $boot_pd, %eax
	orl $3, %eax
	movl %eax, boot_pdpt
	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $21, %eax
	orl $0x83, %eax
	movl %eax, boot_pd(,%ecx,8)
	movl $0, boot_pd+4(,%ecx,8)
	incl %ecx
	cmpl $512, %ecx
	jne 1b

	/* CR4: PAE | OSFXSR | OSXMMEXCPT. */
	movl %cr4, %eax
	orl $(1 << 5) | (1 << 9) | (1 << 10), %eax
	movl %eax, %cr4
	movl $boot_pml4, %eax
	movl %eax, %cr3
	/* EFER: SCE | LME | NXE. */
	movl $0xC0000080, %ecx
	rdmsr
	orl $(1 << 0) | (1 << 8) | (1 << 11), %eax
	wrmsr
	/* CR0: PG | WP | NE | MP | PE, EM clear. */
	movl %cr0, %eax
	andl $~(1 << 2), %eax
	orl $(1 << 31) | (1 << 16) | (1 << 5) | (1 << 1) | 1, %eax
	movl %eax, %cr0

	lgdt boot_gdt_ptr
	ljmp $0x08, $long_mode

	.code64
long_mode:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
	movq $boot_stack_top, %rsp
	xorl %ebp, %ebp
	fninit
	movl %edi, %edi                 /* zero-extend start_info */
	call kmain
2:	cli
	hlt
	jmp 2b

	.section .rodata
	.p2align 3
	.globl boot_gdt
boot_gdt:
	.quad 0                         /* null */
	.quad 0x00af9a000000ffff        /* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff        /* 0x10: data */
boot_gdt_ptr:
	.word boot_gdt_ptr - boot_gdt - 1
	.long boot_gdt

	.section .bss.boot, "aw", @nobits
	.p2align 12
boot_pml4:	.skip 4096
boot_pdpt:	.skip 4096
boot_pd:	.skip 4096
	.globl boot_stack_bottom, boot_stack_top
boot_stack_guard:	.skip 4096
boot_stack_bottom:
	.skip 65536
boot_stack_top:
