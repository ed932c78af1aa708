# expect: line 5, column 1: duplicate label 'L1' (first defined on line 3)
ja L1
L1:
mov %r0, 1
L1:
exit
