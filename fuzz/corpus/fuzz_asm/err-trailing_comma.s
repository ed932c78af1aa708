# expect: line 2, column 14: expected an operand
mov %r0, %r1,
exit
