# expect: line 2, column 5: operand 1 of 'add' must be a register
add 5, %r1
exit
