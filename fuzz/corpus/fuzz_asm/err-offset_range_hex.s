# expect: line 2, column 15: offset does not fit in 16 bits
ldxb %r0, [%r1+0x10000]
exit
