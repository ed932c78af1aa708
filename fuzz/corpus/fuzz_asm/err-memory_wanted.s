# expect: line 2, column 11: operand 2 of 'ldxb' must be a memory operand
ldxb %r0, %r1
exit
