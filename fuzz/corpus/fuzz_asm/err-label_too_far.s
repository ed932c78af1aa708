# expect: line 2, column 4: label 'far' is 39999 instructions away, beyond a 16-bit offset
ja far
# cap: 50000
# fill: 39999 mov %r0, 0
far:
exit
