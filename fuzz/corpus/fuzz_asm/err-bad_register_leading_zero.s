# expect: line 2, column 5: bad register '%r01'
mov %r01, 1
