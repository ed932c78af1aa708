# fault.s — reads 8 bytes past the end of its input: a checked run stops
# with an error that names the pc, the address and the size, and the host
# goes on.
	ldxdw %r0, [%r1+0]  # inside the 8-byte input: fine
	add %r1, %r2        # one past the end
	ldxdw %r0, [%r1+0]  # out of bounds
	exit
