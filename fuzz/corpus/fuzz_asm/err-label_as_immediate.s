# expect: line 2, column 10: operand 2 of 'mov' must be a number or a register
mov %r0, foo
exit
