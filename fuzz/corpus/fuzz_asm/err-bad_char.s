# expect: line 2, column 10: unexpected '@' where an operand belongs
mov %r0, @1
exit
