# expect: line 2, column 23: too many operands for 'jeq'
jeq %r0, %r1, +1, +2, +3, +4
exit
