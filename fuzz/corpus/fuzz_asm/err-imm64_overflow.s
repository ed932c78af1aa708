# expect: line 2, column 11: number does not fit in 64 bits
lddw %r0, 0x10000000000000000
exit
