# expect: line 2, column 9: bad register '%r50'
or %r0, %r50
exit
