# expect: line 2, column 10: immediate -2147483649 does not fit in 32 bits
mov %r0, -2147483649
exit
