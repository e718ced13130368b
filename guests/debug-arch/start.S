// Entry, vectors and the EL0/EL1 transitions of the debug-architecture test guest
// (see main.c). Runs at EL1 with the MMU off on gunyah-ts and on QEMU's virt machine.

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
2:	bl	debug_main
3:	wfi
	b	3b

// Every vector saves x0-x30 on SP_EL1, calls on_exception(index, frame) and returns
// with ERET (ELR_EL1 and SPSR_EL1 as the handler left them).
	.macro	vector index
	.balign	0x80
	sub	sp, sp, #256
	stp	x0, x1, [sp, #0]
	mov	x0, #\index
	b	common
	.endm

	.balign	0x800
vectors:
	.irp	i, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	vector	\i
	.endr

common:
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
	mov	x1, sp
	bl	on_exception
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
	add	sp, sp, #256
	eret

	.text
// enter_el0(entry, spsr, x5 value): ERET to EL0 code that ends with SVC; the SVC
// handler calls resume_el1(), which returns from enter_el0 to its caller.
	.global enter_el0
enter_el0:
	adr	x3, el0_ctx
	stp	x19, x20, [x3, #0]
	stp	x21, x22, [x3, #16]
	stp	x23, x24, [x3, #32]
	stp	x25, x26, [x3, #48]
	stp	x27, x28, [x3, #64]
	stp	x29, x30, [x3, #80]
	mov	x4, sp
	str	x4, [x3, #96]
	mov	x5, x2
	msr	elr_el1, x0
	msr	spsr_el1, x1
	isb
	eret

	.global resume_el1
resume_el1:
	adr	x3, el0_ctx
	ldp	x19, x20, [x3, #0]
	ldp	x21, x22, [x3, #16]
	ldp	x23, x24, [x3, #32]
	ldp	x25, x26, [x3, #48]
	ldp	x27, x28, [x3, #64]
	ldp	x29, x30, [x3, #80]
	ldr	x4, [x3, #96]
	mov	sp, x4
	ret

// eret_el1(spsr): ERET to el1_steps at EL1 with PSTATE.D set before the ERET (step
// inactive at the source) and the given SPSR (SS set, D clear: active at the target).
	.global eret_el1
eret_el1:
	msr	daifset, #8
	adr	x2, el1_steps
	msr	elr_el1, x2
	msr	spsr_el1, x0
	isb
	eret
	.global el1_steps
el1_steps:
	nop
	add	x0, x0, #1
	ret

// EL0 code: each sequence ends with SVC (back to EL1).
	.global el0_steps
el0_steps:
	mov	x0, #1
	add	x0, x0, #2
	ldxr	x1, [x5]
	nop
	svc	#0
	.global el0_nostep
el0_nostep:
	nop
	svc	#1
	.global el0_bp
el0_bp:
	nop
	nop
	svc	#2
	.global el0_watch
el0_watch:
	str	x0, [x5]
	svc	#3

	.global target_fn
target_fn:
	nop
	ret

	.data
	.balign	16
el0_ctx:
	.skip	112

	.text
	.ltorg
