# expect: line 2, column 12: bad digit 'z' in number
mov %r0, 12z
exit
