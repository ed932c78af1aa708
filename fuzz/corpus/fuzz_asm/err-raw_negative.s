# expect: line 2, column 1: '.raw' takes one unsigned 64-bit word
.raw -1
