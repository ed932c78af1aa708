# expect: line 2, column 1: expected a mnemonic or a label, found '%'
%r0 = 1
exit
