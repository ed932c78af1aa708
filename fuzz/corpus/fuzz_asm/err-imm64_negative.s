# expect: line 2, column 11: immediate does not fit in 64 bits
lddw %r0, -9223372036854775809
exit
