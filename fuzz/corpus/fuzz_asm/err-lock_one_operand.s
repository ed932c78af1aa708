# expect: line 2, column 1: 'lock or' takes 2 operands, got 1
lock or [%r10-8]
exit
