or %r0, %r50
exit
