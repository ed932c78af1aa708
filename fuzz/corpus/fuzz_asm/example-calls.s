# calls.s — helper calls and a bpf-to-bpf call: print a greeting with
# trace_printk (helper 6) from a string built on the stack, then return
# square(12) computed by a local function.
	lddw %r1, 0x7266206f6c6c6548   # "Hello fr" (little-endian)
	stxdw [%r10-24], %r1
	lddw %r1, 0x2c46504265206d6f   # "om eBPF,"
	stxdw [%r10-16], %r1
	lddw %r1, 0x00000a64253d6e20   # " n=%d\n" and two NULs
	stxdw [%r10-8], %r1
	mov %r1, %r10
	sub %r1, 24                    # r1: the format on the stack
	mov %r2, 24                    # r2: its size
	mov %r3, 12                    # the %d
	call 6                         # trace_printk
	mov %r1, 12
	call local square
	exit
square:                                # r0 = r1 * r1, on a fresh stack frame
	mov %r0, %r1
	mul %r0, %r1
	exit
