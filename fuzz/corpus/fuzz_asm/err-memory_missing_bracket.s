# expect: line 2, column 17: bad memory operand: expected '+offset', '-offset' or ']'
ldxw %r0, [%r1+4
exit
