// Entry of the gunyah-ts demo guest (Documentation/arm64/booting.rst conditions):
// EL1, MMU and caches off, X0 = physical address of the device tree. Plain ARMv8.0
// instructions only. The image is linked and loaded at the RAM base, 0x4000_0000.

	.section .text.boot, "ax"
	.global _start
_start:
	mov	x19, x0			// keep the device tree address for main()
	msr	daifset, #0xf		// no interrupts: the demo polls
	adr	x1, vectors
	msr	vbar_el1, x1		// report any exception instead of running off to 0x200
	isb
	ldr	x1, =__stack_top
	mov	sp, x1
	ldr	x1, =__bss_start	// C expects .bss zeroed; the loader gives no promise
	ldr	x2, =__bss_end
1:	cmp	x1, x2
	b.hs	2f
	str	xzr, [x1], #8
	b	1b
2:	mov	x0, x19
	bl	demo_main
3:	wfi				// demo_main does not return; if it does, stay put
	b	3b

// The vector table: 16 entries of 0x80 bytes, 2 KiB aligned (VBAR_EL1 bits 10:0 are RES0).
// Every entry hands its index, ESR_EL1, ELR_EL1 and FAR_EL1 to demo_exception().
	.macro	vector index
	.balign	0x80
	mov	x0, #\index
	mrs	x1, esr_el1
	mrs	x2, elr_el1
	mrs	x3, far_el1
	b	demo_exception
	.endm

	.balign	0x800
vectors:
	.irp	i, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	vector	\i
	.endr

	.ltorg
