# factorial.s — r0 = 20! with a loop (the largest factorial in 64 bits).
	mov %r0, 1          # r0: the product
	mov %r1, 20         # r1: counts down from n
loop:
	mul %r0, %r1
	sub %r1, 1
	jgt %r1, 1, loop    # unsigned compare against an immediate
	exit                # 20! = 2432902008176640000
