# expect: line 2, column 1: 'lddw' takes 2 operands, got 1
lddw %r0
exit
