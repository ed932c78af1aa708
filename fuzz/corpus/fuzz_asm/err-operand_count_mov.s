# expect: line 2, column 1: 'mov' takes 2 operands, got 3
mov %r0, %r1, %r2
