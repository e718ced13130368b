// Entry and exception vectors of the conformance guests (EL1, MMU off, X0 = DTB).
// Every vector saves the general registers in a frame on the EL1 stack, calls
// on_exception(frame, vector index) in C, and returns with ERET from the (possibly
// edited) frame. run_el0() drops to EL0 and comes back when the EL0 code returns,
// which it does with SVC #0 from el0_trampoline.

	.section .text.boot, "ax"
	.global _start
_start:
	msr	daifset, #0xf
	adr	x1, vectors
	msr	vbar_el1, x1
	isb
	ldr	x1, =__stack_top
	mov	sp, x1
	ldr	x1, =__bss_start
	ldr	x2, =__bss_end
1:	cmp	x1, x2
	b.hs	2f
	str	xzr, [x1], #8
	b	1b
2:	bl	conformance_main
	bl	power_off
3:	wfi
	b	3b

// Frame: x0..x30 at 8*n, ELR at 248, SPSR at 256, ESR at 264, FAR at 272 (288 bytes).
	.macro	vector index
	.balign	0x80
	sub	sp, sp, #288
	stp	x0, x1, [sp, #0]
	mov	x0, #\index
	b	save_and_handle
	.endm

	.balign	0x800
vectors:
	.irp	i, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	vector	\i
	.endr

save_and_handle:
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x19, [sp, #144]
	stp	x20, x21, [sp, #160]
	stp	x22, x23, [sp, #176]
	stp	x24, x25, [sp, #192]
	stp	x26, x27, [sp, #208]
	stp	x28, x29, [sp, #224]
	str	x30, [sp, #240]
	mrs	x1, elr_el1
	mrs	x2, spsr_el1
	stp	x1, x2, [sp, #248]
	mrs	x1, esr_el1
	mrs	x2, far_el1
	stp	x1, x2, [sp, #264]
	// A lower-EL SVC is run_el0's way home.
	cmp	x0, #8
	b.ne	4f
	lsr	x3, x1, #26
	cmp	x3, #0x15
	b.eq	el0_returned
4:	mov	x1, x0
	mov	x0, sp
	bl	on_exception
	ldp	x1, x2, [sp, #248]
	msr	elr_el1, x1
	msr	spsr_el1, x2
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldp	x18, x19, [sp, #144]
	ldp	x20, x21, [sp, #160]
	ldp	x22, x23, [sp, #176]
	ldp	x24, x25, [sp, #192]
	ldp	x26, x27, [sp, #208]
	ldp	x28, x29, [sp, #224]
	ldr	x30, [sp, #240]
	ldp	x0, x1, [sp, #0]
	add	sp, sp, #288
	eret

// uint64_t run_el0(uint64_t (*fn)(uint64_t), uint64_t arg): runs fn(arg) at EL0
// (interrupts unmasked) and returns its result.
	.global run_el0
run_el0:
	stp	x29, x30, [sp, #-96]!
	stp	x19, x20, [sp, #16]
	stp	x21, x22, [sp, #32]
	stp	x23, x24, [sp, #48]
	stp	x25, x26, [sp, #64]
	stp	x27, x28, [sp, #80]
	mov	x2, sp
	adr	x3, el1_saved_sp
	str	x2, [x3]
	ldr	x2, =__el0_stack_top
	msr	sp_el0, x2
	msr	elr_el1, x0
	msr	spsr_el1, xzr		// EL0t, DAIF clear
	mov	x0, x1
	adr	x30, el0_trampoline
	eret

el0_trampoline:
	svc	#0

el0_returned:
	ldr	x0, [sp, #0]		// the EL0 code's x0
	adr	x3, el1_saved_sp
	ldr	x2, [x3]
	mov	sp, x2
	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldp	x29, x30, [sp], #96
	ret

	.balign	8
el1_saved_sp:
	.quad	0
	.ltorg
