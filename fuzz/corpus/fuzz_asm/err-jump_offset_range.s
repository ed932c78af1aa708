# expect: line 2, column 4: offset does not fit in 16 bits
ja +32768
exit
