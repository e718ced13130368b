// Entry of the timer-irq guest: EL1, MMU off, loaded and entered at 0x4000_0000 (raw
// image under gunyah run, ELF at its link address under qemu-system-aarch64).
// IRQs taken at EL1h go to timer_irq() in C; every other vector reports and stops.

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

// IRQ from the current EL with SP_ELx: save the caller-saved registers, call C.
irq_entry:
	stp	x29, x30, [sp, #-176]!
	stp	x0, x1, [sp, #16]
	stp	x2, x3, [sp, #32]
	stp	x4, x5, [sp, #48]
	stp	x6, x7, [sp, #64]
	stp	x8, x9, [sp, #80]
	stp	x10, x11, [sp, #96]
	stp	x12, x13, [sp, #112]
	stp	x14, x15, [sp, #128]
	stp	x16, x17, [sp, #144]
	str	x18, [sp, #160]
	bl	guest_irq
	ldp	x0, x1, [sp, #16]
	ldp	x2, x3, [sp, #32]
	ldp	x4, x5, [sp, #48]
	ldp	x6, x7, [sp, #64]
	ldp	x8, x9, [sp, #80]
	ldp	x10, x11, [sp, #96]
	ldp	x12, x13, [sp, #112]
	ldp	x14, x15, [sp, #128]
	ldp	x16, x17, [sp, #144]
	ldr	x18, [sp, #160]
	ldp	x29, x30, [sp], #176
	eret

	.macro	vector index
	.balign	0x80
	.if	\index == 5
	b	irq_entry
	.else
	mov	x0, #\index
	mrs	x1, esr_el1
	mrs	x2, elr_el1
	b	guest_exception
	.endif
	.endm

	.balign	0x800
vectors:
	.irp	i, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	vector	\i
	.endr
