/*
 * Self-hosted debug test guest (Arm ARM D2): breakpoints, watchpoints, software step
 * across ERET, the OS lock, and the exceptions they take, each printed with ESR_EL1,
 * ELR_EL1 and FAR_EL1 in the order they happen. test/arch/arm64/debug-qemu.test.ts runs
 * it on gunyah-ts (`gunyah run --kernel`) and on qemu-system-aarch64 (-cpu cortex-a57)
 * and requires identical output. MMU off: every data access is Device memory.
 */
#include <stdint.h>

#define UART_DR 0x09000000UL
#define PSCI_SYSTEM_OFF 0x84000008UL

/* MDSCR_EL1 bits (D13.3.x). */
#define MDSCR_SS (1u << 0)
#define MDSCR_KDE (1u << 13)
#define MDSCR_MDE (1u << 15)

/* DBGBCR/DBGWCR fields: E, PMC/PAC (bits 2:1: 1 = EL1, 2 = EL0, 3 = both), BAS. */
#define CTRL_E 1u
#define PMC_EL1 (1u << 1)
#define PMC_EL0 (2u << 1)
#define PMC_BOTH (3u << 1)
#define BCR_BAS_A64 (0xfu << 5)
#define WCR_LOAD (1u << 3)
#define WCR_STORE (2u << 3)
#define WCR_BAS(b) ((uint32_t)(b) << 5)
#define WCR_MASK(m) ((uint32_t)(m) << 24)

#define SYSREG_WRITE(name, v) __asm__ volatile("msr " #name ", %0\n isb" : : "r"((uint64_t)(v)))
#define SYSREG_READ(name)                                          \
	({                                                         \
		uint64_t v_;                                       \
		__asm__ volatile("mrs %0, " #name : "=r"(v_));     \
		v_;                                                \
	})

extern void target_fn(void);
extern void enter_el0(void (*entry)(void), uint64_t spsr, uint64_t x5);
extern void resume_el1(void) __attribute__((noreturn));
extern void eret_el1(uint64_t spsr);
extern void el1_steps(void), el0_steps(void), el0_nostep(void), el0_bp(void),
	el0_watch(void);

static volatile uint64_t wbuf[2] __attribute__((aligned(16)));
static volatile uint64_t wbig[8] __attribute__((aligned(64)));
static volatile uint64_t xbuf __attribute__((aligned(16)));
static int steps_left;

static void putc_uart(char c)
{
	*(volatile uint32_t *)UART_DR = (uint8_t)c;
}

static void puts_uart(const char *s)
{
	for (; *s; s++)
		putc_uart(*s);
}

static void put_hex(uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	puts_uart("0x");
	for (int shift = 60; shift >= 0; shift -= 4)
		putc_uart(digits[(v >> shift) & 0xf]);
}

static void line(const char *s)
{
	puts_uart(s);
	puts_uart("\n");
}

static void disarm(void)
{
	SYSREG_WRITE(dbgbcr0_el1, 0);
	SYSREG_WRITE(dbgbcr1_el1, 0);
	SYSREG_WRITE(dbgwcr0_el1, 0);
	SYSREG_WRITE(dbgwcr1_el1, 0);
}

void on_exception(uint64_t index, uint64_t *frame)
{
	uint64_t esr = SYSREG_READ(esr_el1);
	uint64_t ec = esr >> 26;
	(void)frame;
	puts_uart("  exception vector ");
	put_hex(index);
	puts_uart(" ESR ");
	put_hex(esr);
	puts_uart(" ELR ");
	put_hex(SYSREG_READ(elr_el1));
	puts_uart(" FAR ");
	put_hex(SYSREG_READ(far_el1));
	puts_uart("\n");
	switch (ec) {
	case 0x30: case 0x31: case 0x34: case 0x35:
		/* Breakpoint or watchpoint: disarm and retry the instruction. */
		disarm();
		return;
	case 0x32: case 0x33:
		/* Software step: step again (SPSR.SS = 1) or stop stepping. */
		if (--steps_left > 0) {
			SYSREG_WRITE(spsr_el1, SYSREG_READ(spsr_el1) | (1u << 21));
		} else {
			SYSREG_WRITE(mdscr_el1, SYSREG_READ(mdscr_el1) & ~MDSCR_SS);
		}
		return;
	case 0x3c:
		SYSREG_WRITE(elr_el1, SYSREG_READ(elr_el1) + 4); /* past the BRK */
		return;
	case 0x15:
		/* SVC from EL0: the EL0 sequence is over. */
		SYSREG_WRITE(mdscr_el1, SYSREG_READ(mdscr_el1) & ~MDSCR_SS);
		disarm();
		resume_el1();
	default:
		line("  unexpected exception: stop");
		for (;;)
			__asm__ volatile("wfi");
	}
}

static void arm_bp(void (*fn)(void), uint32_t pmc)
{
	SYSREG_WRITE(dbgbvr0_el1, (uint64_t)fn);
	SYSREG_WRITE(dbgbcr0_el1, CTRL_E | pmc | BCR_BAS_A64);
}

static void arm_wp(volatile void *at, uint32_t ctrl)
{
	SYSREG_WRITE(dbgwvr0_el1, (uint64_t)at);
	SYSREG_WRITE(dbgwcr0_el1, CTRL_E | ctrl);
}

static void psci_off(void)
{
	register uint64_t x0 __asm__("x0") = PSCI_SYSTEM_OFF;
	__asm__ volatile("hvc #0" : "+r"(x0) : : "memory");
}

void debug_main(void)
{
	line("debug-arch: start");

	line("1 OS lock set: an armed breakpoint does not fire");
	SYSREG_WRITE(oslar_el1, 1);
	puts_uart("  OSLSR ");
	put_hex(SYSREG_READ(oslsr_el1) & 0xf);
	puts_uart("\n");
	SYSREG_WRITE(mdscr_el1, MDSCR_MDE | MDSCR_KDE);
	__asm__ volatile("msr daifclr, #8");
	arm_bp(target_fn, PMC_BOTH);
	target_fn();

	line("2 OS lock clear: the breakpoint fires at EL1");
	SYSREG_WRITE(oslar_el1, 0);
	puts_uart("  OSLSR ");
	put_hex(SYSREG_READ(oslsr_el1) & 0xf);
	puts_uart("\n");
	arm_bp(target_fn, PMC_BOTH);
	target_fn();
	target_fn(); /* disarmed by the handler */

	line("3 filters: EL0-only, MDE clear, PSTATE.D set: no exception");
	arm_bp(target_fn, PMC_EL0);
	target_fn();
	arm_bp(target_fn, PMC_EL1);
	SYSREG_WRITE(mdscr_el1, MDSCR_KDE);
	target_fn();
	SYSREG_WRITE(mdscr_el1, MDSCR_MDE | MDSCR_KDE);
	__asm__ volatile("msr daifset, #8");
	target_fn();
	__asm__ volatile("msr daifclr, #8");
	SYSREG_WRITE(mdscr_el1, MDSCR_KDE);
	disarm();

	line("4 watchpoints: a byte store in BAS 0-3, a load of BAS 4-7, a masked block");
	SYSREG_WRITE(mdscr_el1, MDSCR_MDE | MDSCR_KDE);
	arm_wp(&wbuf[0], PMC_BOTH | WCR_STORE | WCR_BAS(0x0f));
	((volatile uint8_t *)wbuf)[2] = 0x5a;
	arm_wp(&wbuf[0], PMC_BOTH | WCR_LOAD | WCR_BAS(0xf0));
	wbuf[0] = 1; /* a store: the load watchpoint ignores it */
	(void)wbuf[0];
	arm_wp(&wbig[0], PMC_BOTH | WCR_LOAD | WCR_STORE | WCR_BAS(0xff) | WCR_MASK(6));
	(void)wbig[5];
	arm_wp(&wbuf[1], PMC_EL0 | WCR_STORE | WCR_BAS(0xff));
	wbuf[1] = 2; /* EL0-only: no exception at EL1 */
	disarm();
	puts_uart("  wbuf[0] ");
	put_hex(wbuf[0]);
	puts_uart("\n");

	line("5 BRK at EL1");
	__asm__ volatile("brk #5");

	line("6 software step at EL0 across ERET (KDE clear): four steps, one LDXR");
	SYSREG_WRITE(mdscr_el1, MDSCR_SS | MDSCR_MDE);
	steps_left = 4;
	enter_el0(el0_steps, 1u << 21, (uint64_t)&xbuf);

	line("7 step enabled but SPSR.SS clear: the step exception comes first (ISV 0)");
	SYSREG_WRITE(mdscr_el1, MDSCR_SS | MDSCR_MDE);
	steps_left = 1;
	enter_el0(el0_nostep, 0, 0);

	line("8 a breakpoint and a watchpoint at EL0");
	SYSREG_WRITE(mdscr_el1, MDSCR_MDE);
	SYSREG_WRITE(dbgbvr0_el1, (uint64_t)el0_bp + 4);
	SYSREG_WRITE(dbgbcr0_el1, CTRL_E | PMC_EL0 | BCR_BAS_A64);
	enter_el0(el0_bp, 0, 0);
	arm_wp(&xbuf, PMC_EL0 | WCR_STORE | WCR_BAS(0xff));
	enter_el0(el0_watch, 0, (uint64_t)&xbuf);

	line("9 software step of EL1 code (KDE set) entered by ERET");
	SYSREG_WRITE(mdscr_el1, MDSCR_SS | MDSCR_KDE);
	steps_left = 2;
	eret_el1(0x1c5 | (1u << 21));
	__asm__ volatile("msr daifset, #8");
	SYSREG_WRITE(mdscr_el1, 0);

	line("debug-arch: done");
	psci_off();
	for (;;)
		__asm__ volatile("wfi");
}
