# expect: line 3, column 1: unknown mnemonic 'ldxq'
mov %r0, 1
ldxq %r0, %r1
exit
