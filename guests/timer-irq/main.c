/*
 * The timer-irq guest: checks that a vCPU's IRQ line follows the GICv3 and generic
 * timer state at every instruction boundary where that state changes, and that a
 * guest spinning on the virtual timer never reads a spurious INTID (1023) from
 * ICC_IAR1_EL1. It prints what it sees; test/e2e/timer-irq.test.ts runs it under
 * gunyah run and under qemu-system-aarch64 and requires the same output.
 *
 * Part 1 (IRQs masked in PSTATE, so nothing is taken): after each timer register
 * write (CNTV_CTL enable/IMASK, CVAL, TVAL), each CPU-interface write (PMR, IGRPEN1,
 * CTLR.EOImode, IAR1, EOIR1, DIR) and each distributor/redistributor enable, it reads
 * ISR_EL1.I (the IRQ line, Arm ARM D19.2.73) at once. Part 2: the timer fires while
 * the guest spins with IRQs unmasked; the handler acknowledges, silences the timer
 * (five different ways) and ends the interrupt. Part 3: WFI with IRQs masked wakes
 * on the timer. Plain ARMv8.0 + GICv3 system registers; the MMU stays off.
 */
#include <stdint.h>

#define UART_BASE 0x09000000UL
#define UART_DR 0x000
#define UART_FR 0x018
#define UART_FR_TXFF (1u << 5)

#define GICD_BASE 0x08000000UL
#define GICD_CTLR 0x0000
#define GICD_CTLR_ENABLE_GRP1 (1u << 1)
#define GICD_CTLR_ARE (1u << 4)
#define GICD_CTLR_RWP (1u << 31)

#define GICR_BASE 0x080A0000UL /* vCPU 0's redistributor */
#define GICR_WAKER 0x0014
#define GICR_WAKER_PROCESSOR_SLEEP (1u << 1)
#define GICR_WAKER_CHILDREN_ASLEEP (1u << 2)
#define GICR_SGI (GICR_BASE + 0x10000)
#define GICR_IGROUPR0 0x0080
#define GICR_ISENABLER0 0x0100
#define GICR_ICENABLER0 0x0180
#define GICR_IPRIORITYR 0x0400

#define TIMER_PPI 27 /* the EL1 virtual timer on QEMU virt and gunyah-ts */
#define TIMER_PRIORITY 0xa0
#define SPURIOUS 1023
#define CTL_ENABLE 1u
#define CTL_IMASK 2u
#define ISR_I (1u << 7)

#define PSCI_SYSTEM_OFF 0x84000008UL

#define ROUNDS 20
#define SPIN_LIMIT 20000000UL

#define SYSREG_READ(name)                                         \
	({                                                        \
		uint64_t v__;                                     \
		__asm__ volatile("mrs %0, " name : "=r"(v__));    \
		v__;                                              \
	})
#define SYSREG_WRITE(name, v) __asm__ volatile("msr " name ", %0" ::"r"((uint64_t)(v)) : "memory")
#define ISB() __asm__ volatile("isb" ::: "memory")

/* GICv3 CPU interface registers by encoding (IHI 0069 12.2), for any assembler. */
#define ICC_PMR "S3_0_C4_C6_0"
#define ICC_IAR1 "S3_0_C12_C12_0"
#define ICC_EOIR1 "S3_0_C12_C12_1"
#define ICC_HPPIR1 "S3_0_C12_C12_2"
#define ICC_BPR1 "S3_0_C12_C12_3"
#define ICC_CTLR "S3_0_C12_C12_4"
#define ICC_SRE "S3_0_C12_C12_5"
#define ICC_IGRPEN1 "S3_0_C12_C12_7"
#define ICC_DIR "S3_0_C12_C11_1"
#define ICC_RPR "S3_0_C12_C11_3"
#define ISR_EL1 "S3_0_C12_C1_0"

static inline uint32_t mmio_read32(uintptr_t addr)
{
	return *(volatile uint32_t *)addr;
}

static inline void mmio_write32(uintptr_t addr, uint32_t value)
{
	*(volatile uint32_t *)addr = value;
}

static inline void mmio_write8(uintptr_t addr, uint8_t value)
{
	*(volatile uint8_t *)addr = value;
}

static void putc_uart(char c)
{
	while (mmio_read32(UART_BASE + UART_FR) & UART_FR_TXFF)
		;
	mmio_write32(UART_BASE + UART_DR, (uint8_t)c);
}

static void puts_uart(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			putc_uart('\r');
		putc_uart(*s);
	}
}

static void put_dec(uint64_t value)
{
	char buf[21];
	int i = sizeof(buf) - 1;

	buf[i] = '\0';
	do {
		buf[--i] = (char)('0' + value % 10);
		value /= 10;
	} while (value != 0);
	puts_uart(&buf[i]);
}

static void put_hex(uint64_t value)
{
	static const char digits[] = "0123456789abcdef";
	int shift = 60;

	puts_uart("0x");
	while (shift > 0 && ((value >> shift) & 0xf) == 0)
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		putc_uart(digits[(value >> shift) & 0xf]);
}

static void power_off(void)
{
	register uint64_t x0 __asm__("x0") = PSCI_SYSTEM_OFF;
	__asm__ volatile("hvc #0" : "+r"(x0) : : "x1", "x2", "x3", "memory");
	for (;;)
		__asm__ volatile("wfi");
}

/* --- what the guest observes -------------------------------------------------- */

static uint32_t irq_line(void)
{
	return (SYSREG_READ(ISR_EL1) & ISR_I) ? 1 : 0;
}

/* One observation: the IRQ line right after `what`, and the pending INTID. */
static void observe(const char *what)
{
	uint32_t line = irq_line();

	puts_uart(what);
	puts_uart(": line=");
	put_dec(line);
	puts_uart(" hppir=");
	put_dec(SYSREG_READ(ICC_HPPIR1) & 0xffffff);
	puts_uart("\n");
}

static void report(const char *what, uint64_t value)
{
	puts_uart(what);
	puts_uart("=");
	put_dec(value);
	puts_uart("\n");
}

static void timer_ctl(uint32_t ctl)
{
	SYSREG_WRITE("cntv_ctl_el0", ctl);
	ISB();
}

static void timer_cval(uint64_t cval)
{
	SYSREG_WRITE("cntv_cval_el0", cval);
	ISB();
}

static uint64_t now(void)
{
	ISB();
	return SYSREG_READ("cntvct_el0");
}

/* --- GIC set-up (what Linux's gic_dist_init / gic_cpu_init do, for one PPI) --------- */

static void gic_init(void)
{
	mmio_write32(GICD_BASE + GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_ENABLE_GRP1);
	while (mmio_read32(GICD_BASE + GICD_CTLR) & GICD_CTLR_RWP)
		;
	mmio_write32(GICR_BASE + GICR_WAKER,
		     mmio_read32(GICR_BASE + GICR_WAKER) & ~GICR_WAKER_PROCESSOR_SLEEP);
	while (mmio_read32(GICR_BASE + GICR_WAKER) & GICR_WAKER_CHILDREN_ASLEEP)
		;
	mmio_write32(GICR_SGI + GICR_IGROUPR0, 1u << TIMER_PPI);
	mmio_write8(GICR_SGI + GICR_IPRIORITYR + TIMER_PPI, TIMER_PRIORITY);
	mmio_write32(GICR_SGI + GICR_ISENABLER0, 1u << TIMER_PPI);

	SYSREG_WRITE(ICC_SRE, SYSREG_READ(ICC_SRE) | 1);
	ISB();
	SYSREG_WRITE(ICC_PMR, 0xf0);
	SYSREG_WRITE(ICC_BPR1, 0);
	SYSREG_WRITE(ICC_CTLR, 0);
	SYSREG_WRITE(ICC_IGRPEN1, 1);
	ISB();
}

/* --- part 1: the line after each state change, IRQs masked -------------------------- */

static void eoi_mode(int split)
{
	SYSREG_WRITE(ICC_CTLR, split ? 2 : 0);
	ISB();
}

static void line_follows_state(void)
{
	observe("idle");
	timer_cval(0);
	timer_ctl(CTL_ENABLE);
	observe("timer enabled, CVAL passed");
	timer_ctl(CTL_ENABLE | CTL_IMASK);
	observe("timer IMASK set");
	timer_ctl(CTL_ENABLE);
	observe("timer IMASK clear");
	timer_cval(now() + (1ULL << 40));
	observe("CVAL moved far ahead");
	SYSREG_WRITE("cntv_tval_el0", 0);
	ISB();
	observe("TVAL written 0");
	timer_ctl(0);
	observe("timer disabled");
	timer_ctl(CTL_ENABLE);
	observe("timer enabled again");

	SYSREG_WRITE(ICC_PMR, 0);
	ISB();
	observe("PMR 0x00");
	SYSREG_WRITE(ICC_PMR, TIMER_PRIORITY);
	ISB();
	observe("PMR equal to the priority");
	SYSREG_WRITE(ICC_PMR, 0xf0);
	ISB();
	observe("PMR 0xf0");

	mmio_write32(GICD_BASE + GICD_CTLR, GICD_CTLR_ARE);
	observe("GICD_CTLR group 1 disabled");
	mmio_write32(GICD_BASE + GICD_CTLR, GICD_CTLR_ARE | GICD_CTLR_ENABLE_GRP1);
	observe("GICD_CTLR group 1 enabled");
	SYSREG_WRITE(ICC_IGRPEN1, 0);
	ISB();
	observe("IGRPEN1 0");
	SYSREG_WRITE(ICC_IGRPEN1, 1);
	ISB();
	observe("IGRPEN1 1");
	mmio_write32(GICR_SGI + GICR_ICENABLER0, 1u << TIMER_PPI);
	observe("PPI 27 disabled");
	mmio_write32(GICR_SGI + GICR_ISENABLER0, 1u << TIMER_PPI);
	observe("PPI 27 enabled");

	report("IAR1", SYSREG_READ(ICC_IAR1) & 0xffffff);
	report("line while active", irq_line());
	report("RPR", SYSREG_READ(ICC_RPR) & 0xff);
	timer_ctl(CTL_ENABLE | CTL_IMASK);
	SYSREG_WRITE(ICC_EOIR1, TIMER_PPI);
	ISB();
	observe("timer masked, then EOIR1");
	report("RPR", SYSREG_READ(ICC_RPR) & 0xff);

	timer_ctl(CTL_ENABLE);
	report("IAR1", SYSREG_READ(ICC_IAR1) & 0xffffff);
	SYSREG_WRITE(ICC_EOIR1, TIMER_PPI);
	ISB();
	observe("EOIR1 with the timer still asserted");

	eoi_mode(1);
	report("IAR1", SYSREG_READ(ICC_IAR1) & 0xffffff);
	SYSREG_WRITE(ICC_EOIR1, TIMER_PPI);
	ISB();
	report("EOImode 1: line after EOIR1 (still active)", irq_line());
	SYSREG_WRITE(ICC_DIR, TIMER_PPI);
	ISB();
	observe("EOImode 1: DIR");
	eoi_mode(0);
	timer_ctl(0);
	observe("timer off");
}

/* --- part 2: spinning on the timer with IRQs unmasked ------------------------------- */

static volatile uint32_t taken, spurious, other, round;

void guest_irq(void)
{
	uint32_t intid = SYSREG_READ(ICC_IAR1) & 0xffffff;

	if (intid == SPURIOUS) {
		spurious++;
		return;
	}
	if (intid != TIMER_PPI) {
		other++;
		SYSREG_WRITE(ICC_EOIR1, intid);
		return;
	}
	taken++;
	/* Five ways to silence the timer; the last ends the interrupt first. */
	switch (round % 5) {
	case 0:
		timer_ctl(CTL_ENABLE | CTL_IMASK);
		break;
	case 1:
		timer_ctl(0);
		break;
	case 2:
		timer_cval(now() + (1ULL << 40));
		break;
	case 3:
		SYSREG_WRITE("cntv_tval_el0", 0x7fffffff);
		ISB();
		break;
	case 4:
		SYSREG_WRITE(ICC_EOIR1, intid);
		ISB();
		timer_ctl(CTL_ENABLE | CTL_IMASK);
		return;
	}
	SYSREG_WRITE(ICC_EOIR1, intid);
	ISB();
}

static void spin_on_timer(void)
{
	uint32_t timeouts = 0;

	__asm__ volatile("msr daifclr, #2" ::: "memory");
	for (round = 0; round < ROUNDS; round++) {
		uint32_t want = taken + 1;
		uint64_t spins = 0;

		timer_ctl(0);
		timer_cval(now() + 2000 + 500 * round);
		timer_ctl(CTL_ENABLE);
		while (taken < want && spins < SPIN_LIMIT)
			spins++;
		if (taken < want)
			timeouts++;
	}
	__asm__ volatile("msr daifset, #2" ::: "memory");
	timer_ctl(0);
	report("rounds", ROUNDS);
	report("timer IRQs taken", taken);
	report("spurious IAR1 reads", spurious);
	report("other INTIDs", other);
	report("timeouts", timeouts);
}

/* --- part 3: WFI with IRQs masked wakes on the timer -------------------------------- */

static void wfi_wakes(void)
{
	uint32_t waits = 0;

	timer_cval(now() + 5000);
	timer_ctl(CTL_ENABLE);
	while (!irq_line() && waits < 1000) {
		__asm__ volatile("wfi" ::: "memory");
		waits++;
	}
	observe("WFI woke");
	report("IAR1", SYSREG_READ(ICC_IAR1) & 0xffffff);
	timer_ctl(0);
	SYSREG_WRITE(ICC_EOIR1, TIMER_PPI);
	ISB();
	observe("after WFI, timer off and EOIR1");
}

void guest_exception(uint64_t index, uint64_t esr, uint64_t elr)
{
	puts_uart("timer-irq: unexpected exception, vector ");
	put_dec(index);
	puts_uart(" ESR ");
	put_hex(esr);
	puts_uart(" ELR ");
	put_hex(elr);
	puts_uart("\n");
	power_off();
}

void guest_main(void)
{
	puts_uart("timer-irq: start\n");
	gic_init();
	line_follows_state();
	spin_on_timer();
	wfi_wakes();
	puts_uart("timer-irq: done\n");
	power_off();
}
