# expect: line 2, column 12: bad memory operand: expected a register
ldxw %r0, [4]
exit
