# checksum.s — the Internet checksum (RFC 1071) of the bytes at r1,
# r2 bytes long: a loop over memory with 16-bit big-endian loads.
	mov %r0, 0          # r0: running sum
	mov %r3, %r1        # r3: cursor
	add %r1, %r2        # r1: end
	mov %r4, %r3
	add %r4, 1
next:
	jge %r4, %r1, tail  # fewer than two bytes left?
	ldxh %r5, [%r3]
	be16 %r5            # network byte order
	add %r0, %r5
	add %r3, 2
	add %r4, 2
	ja next
tail:
	jge %r3, %r1, fold
	ldxb %r5, [%r3]     # an odd last byte is the high half of a word
	lsh %r5, 8
	add %r0, %r5
fold:
	mov %r5, %r0        # fold the carries back into 16 bits
	rsh %r5, 16
	jeq %r5, 0, done
	and %r0, 0xffff
	add %r0, %r5
	ja fold
done:
	xor %r0, 0xffff     # one's complement of the sum
	exit
