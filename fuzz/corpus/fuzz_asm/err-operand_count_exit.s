# expect: line 2, column 1: 'exit' takes 0 operands, got 1
exit %r0
