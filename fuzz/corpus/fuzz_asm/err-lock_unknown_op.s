# expect: line 2, column 1: unknown mnemonic 'lock sub'
lock sub [%r10-8], %r1
exit
