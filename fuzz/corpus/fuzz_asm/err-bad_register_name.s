# expect: line 2, column 5: bad register '%rax'
mov %rax, 1
