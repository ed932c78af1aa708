# expect: line 2, column 15: operand 2 of 'movsx832' must be a register
movsx832 %r0, 5
exit
