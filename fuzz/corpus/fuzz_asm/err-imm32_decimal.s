# expect: line 3, column 12: immediate 2147483648 does not fit in 32 bits
# Immediate is out of 32-bit range (signed decimal)
mov32 %r0, 2147483648
exit
