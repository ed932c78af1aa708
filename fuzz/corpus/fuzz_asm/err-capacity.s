# expect: line 5, column 1: program does not fit in 3 instruction slots
# cap: 3
mov %r0, 1
mov %r0, 2
lddw %r0, 3
exit
