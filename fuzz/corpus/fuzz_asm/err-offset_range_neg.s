# expect: line 2, column 10: offset does not fit in 16 bits
stb [%r10-32769], 1
exit
