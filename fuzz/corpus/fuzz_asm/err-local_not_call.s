# expect: line 2, column 1: 'call' takes 1 operand, got 0
call local
exit
