# expect: line 2, column 12: immediate 0x100000000 does not fit in 32 bits
mov32 %r0, 0x100000000
exit
