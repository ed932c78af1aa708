# expect: line 2, column 5: 'lock' needs an operation
lock
exit
