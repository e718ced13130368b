// Entry of the rtc-pl031 guest: EL1, MMU off, loaded and entered at 0x4000_0000 (raw
// image under gunyah run, ELF at its link address under qemu-system-aarch64). No
// interrupts are used; any exception reports its vector and ESR, then stops.

	.section .text.boot, "ax"
	.global _start
_start:
	msr	daifset, #0xf
	adr	x1, vectors
	msr	vbar_el1, x1
	isb
	adr	x1, __stack_top
	mov	sp, x1
	adr	x1, __bss_start
	adr	x2, __bss_end
1:	cmp	x1, x2
	b.hs	2f
	str	xzr, [x1], #8
	b	1b
2:	bl	guest_main
3:	wfi
	b	3b

	.macro	vector index
	.balign	0x80
	mov	x0, #\index
	mrs	x1, esr_el1
	mrs	x2, elr_el1
	b	guest_exception
	.endm

	.balign	0x800
vectors:
	.irp	i, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	vector	\i
	.endr
