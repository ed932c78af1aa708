# expect: line 2, column 14: unexpected text after the operands of 'mov'
mov %r0, %r1 junk
exit
