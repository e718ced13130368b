/* PMUv3 as a guest sees it (Arm ARM D11): PMCR_EL0.N, counter enable/overflow set and
 * clear registers, exact counts of INST_RETIRED, CPU_CYCLES and the cycle counter for
 * a known loop (QEMU counts them exactly under -icount shift=0, one cycle per
 * instruction), EL filtering, SW_INCR through PMSWINC, the overflow of a chained low
 * half (QEMU does not count CHAIN itself: test/arch/arm64/pmu.test.ts does), overflow with the
 * overflow interrupt (PPI 7 = INTID 23, a level) through the GICv3, and the
 * PMUSERENR_EL0 rules at EL0. Every count printed is a difference or a fixed value. */
#include "lib.h"

#define EV_SW_INCR 0x00
#define EV_INST_RETIRED 0x08
#define EV_CPU_CYCLES 0x11
#define EV_CHAIN 0x1e
#define PMU_INTID 23

static void set_type(int n, uint64_t v)
{
	write_sysreg(pmselr_el0, n);
	isb();
	write_sysreg(pmxevtyper_el0, v);
}

static void set_count(int n, uint64_t v)
{
	write_sysreg(pmselr_el0, n);
	isb();
	write_sysreg(pmxevcntr_el0, v);
}

static uint64_t get_count(int n)
{
	write_sysreg(pmselr_el0, n);
	isb();
	return read_sysreg(pmxevcntr_el0);
}

/* 4 instructions per iteration: sub, add, cmp... (the loop body is fixed asm). */
static void loop(uint64_t n)
{
	uint64_t x = 0;
	__asm__ volatile("1: add %1, %1, #1\n"
			 "   subs %0, %0, #1\n"
			 "   b.ne 1b\n"
			 : "+r"(n), "+r"(x)
			 :
			 : "cc");
}

static void registers(void)
{
	uint64_t pmcr = read_sysreg(pmcr_el0);
	put_line("PMCR_EL0.N", (pmcr >> 11) & 0x1f);
	put_line("PMCR_EL0.IMP", pmcr >> 24);
	write_sysreg(pmcntenclr_el0, ~0UL);
	write_sysreg(pmcntenset_el0, 0x80000005UL);
	put_line("PMCNTENSET after set 0x80000005", read_sysreg(pmcntenset_el0));
	write_sysreg(pmcntenclr_el0, 0x4UL);
	put_line("PMCNTENCLR after clear 0x4", read_sysreg(pmcntenclr_el0));
	write_sysreg(pmcntenclr_el0, ~0UL);
	write_sysreg(pmovsclr_el0, ~0UL);
	write_sysreg(pmovsset_el0, 0x3UL);
	put_line("PMOVSSET after set 0x3", read_sysreg(pmovsset_el0));
	write_sysreg(pmovsclr_el0, 0x1UL);
	put_line("PMOVSCLR after clear 0x1", read_sysreg(pmovsclr_el0));
	write_sysreg(pmovsclr_el0, ~0UL);
	write_sysreg(pmintenset_el1, 0x10UL);
	put_line("PMINTENSET after set 0x10", read_sysreg(pmintenset_el1));
	write_sysreg(pmintenclr_el1, ~0UL);
	put_line("PMINTENCLR after clear all", read_sysreg(pmintenclr_el1));
	set_type(1, 0xc0000008UL);
	write_sysreg(pmselr_el0, 1);
	isb();
	put_line("PMEVTYPER1 (P, U, INST_RETIRED)", read_sysreg(pmxevtyper_el0));
	set_type(1, 0);
}

static void counting(void)
{
	/* Counter 0 INST_RETIRED, counter 1 CPU_CYCLES, the cycle counter, all at EL1. */
	set_type(0, EV_INST_RETIRED);
	set_type(1, EV_CPU_CYCLES);
	write_sysreg(pmccfiltr_el0, 0);
	write_sysreg(pmcr_el0, 0x7); /* E, reset event counters (P) and the cycle counter (C) */
	write_sysreg(pmcntenset_el0, 0x80000003UL);
	isb();
	for (uint64_t iters = 10; iters <= 1000; iters *= 10) {
		uint64_t i0 = get_count(0), c0 = get_count(1), cc0 = read_sysreg(pmccntr_el0);
		loop(iters);
		uint64_t i1 = get_count(0), c1 = get_count(1), cc1 = read_sysreg(pmccntr_el0);
		puts_uart("loop of ");
		put_dec(iters);
		puts_uart(": INST_RETIRED +");
		put_dec(i1 - i0);
		puts_uart(", CPU_CYCLES +");
		put_dec(c1 - c0);
		puts_uart(", PMCCNTR +");
		put_dec(cc1 - cc0);
		puts_uart("\n");
	}
	/* EL filtering: P = 1 (bit 31) stops counting at EL1. */
	set_type(0, 0x80000000UL | EV_INST_RETIRED);
	uint64_t a = get_count(0);
	loop(100);
	put_line("INST_RETIRED with P set, delta", get_count(0) - a);
	write_sysreg(pmcntenclr_el0, ~0UL);
	write_sysreg(pmcr_el0, 0);
}

static void software_increment(void)
{
	set_type(2, EV_SW_INCR);
	set_count(2, 0);
	write_sysreg(pmcr_el0, 1);
	write_sysreg(pmcntenset_el0, 0x4UL);
	for (int i = 0; i < 5; i++)
		write_sysreg(pmswinc_el0, 0x4UL);
	write_sysreg(pmswinc_el0, 0x1UL); /* counter 0 is not enabled: ignored */
	put_line("SW_INCR after 5 writes", get_count(2));
	/* CHAIN: counter 2 (SW_INCR) overflows into counter 3 (CHAIN). */
	set_type(3, EV_CHAIN);
	set_count(3, 7);
	set_count(2, 0xfffffffeUL);
	write_sysreg(pmovsclr_el0, ~0UL);
	write_sysreg(pmcntenset_el0, 0xcUL);
	for (int i = 0; i < 3; i++)
		write_sysreg(pmswinc_el0, 0x4UL);
	put_line("chained low half", get_count(2));
	put_line("PMOVSSET after the low half wrapped", read_sysreg(pmovsset_el0));
	write_sysreg(pmcntenclr_el0, ~0UL);
	write_sysreg(pmovsclr_el0, ~0UL);
	write_sysreg(pmcr_el0, 0);
}

/* GICv3 set-up for one PPI (IHI 0069): affinity routing, group 1, the redistributor awake. */
static void gic_enable_ppi(unsigned intid)
{
	mmio_write32(GICD_BASE + 0x0, 0x12); /* GICD_CTLR: ARE_NS | EnableGrp1NS (DS=1: bit 1 Grp1) */
	uint32_t waker = mmio_read32(GICR_BASE + 0x14);
	mmio_write32(GICR_BASE + 0x14, waker & ~2u); /* ProcessorSleep = 0 */
	while (mmio_read32(GICR_BASE + 0x14) & 4u)
		;
	uintptr_t sgi = GICR_BASE + 0x10000;
	mmio_write32(sgi + 0x80, mmio_read32(sgi + 0x80) | (1u << intid)); /* IGROUPR0 */
	*(volatile uint8_t *)(sgi + 0x400 + intid) = 0x80;                  /* IPRIORITYR */
	mmio_write32(sgi + 0x100, 1u << intid);                              /* ISENABLER0 */
	write_sysreg(S3_0_C12_C12_5, 0x7); /* ICC_SRE_EL1 */
	isb();
	write_sysreg(S3_0_C4_C6_0, 0xff); /* ICC_PMR_EL1 */
	write_sysreg(S3_0_C12_C12_7, 1);  /* ICC_IGRPEN1_EL1 */
	isb();
}

static volatile uint64_t irq_intid, irq_count, irq_ovs;

static void on_irq(struct frame *f, uint64_t vector)
{
	(void)f;
	if ((vector & 3) != 1) { /* not an IRQ vector */
		puts_uart("unexpected exception ");
		put_hex(f->esr);
		puts_uart("\n");
		power_off();
	}
	uint64_t intid = read_sysreg(S3_0_C12_C12_0); /* ICC_IAR1_EL1 */
	irq_intid = intid;
	irq_count++;
	irq_ovs = read_sysreg(pmovsclr_el0);
	write_sysreg(pmovsclr_el0, irq_ovs); /* lower the level */
	isb();
	write_sysreg(S3_0_C12_C12_1, intid); /* ICC_EOIR1_EL1 */
}

/* The cycle counter (32-bit overflow without PMCR.LC) overflows inside a loop; the
 * level interrupt is taken, the handler clears PMOVS, and no second one follows.
 * (QEMU raises the overflow of the cycle counter on time; its INST_RETIRED overflow is
 * only noticed when a counter register is next accessed, so that is not compared.) */
static void overflow_interrupt(void)
{
	gic_enable_ppi(PMU_INTID);
	current_hook = on_irq;
	write_sysreg(pmccfiltr_el0, 0);
	write_sysreg(pmccntr_el0, 0xffffffffUL - 1000);
	write_sysreg(pmovsclr_el0, ~0UL);
	write_sysreg(pmintenset_el1, 0x80000000UL);
	write_sysreg(pmcr_el0, 1);
	write_sysreg(pmcntenset_el0, 0x80000000UL);
	__asm__ volatile("msr daifclr, #2" ::: "memory");
	loop(2000);
	__asm__ volatile("msr daifset, #2" ::: "memory");
	write_sysreg(pmcntenclr_el0, ~0UL);
	put_line("overflow interrupts taken", irq_count);
	put_line("their INTID", irq_intid);
	put_line("PMOVS seen in the handler", irq_ovs);
	put_line("PMOVS after the handler", read_sysreg(pmovsset_el0));
	put_line("PMCCNTR wrapped past 2^32", (read_sysreg(pmccntr_el0) >> 32) != 0);
	write_sysreg(pmintenclr_el1, ~0UL);
	write_sysreg(pmcr_el0, 0);
	current_hook = 0;
}

/* PMUSERENR_EL0 rules at EL0: which accesses trap (and with which syndrome). */
static volatile uint64_t el0_esr, el0_traps;

static void el0_trap(struct frame *f, uint64_t vector)
{
	(void)vector;
	el0_esr = f->esr;
	el0_traps++;
	f->elr += 4;
}

static uint64_t el0_read_pmcr(uint64_t unused)
{
	(void)unused;
	return read_sysreg(pmcr_el0) >> 11 & 0x1f;
}

static uint64_t el0_read_ccntr(uint64_t unused)
{
	(void)unused;
	read_sysreg(pmccntr_el0);
	return 0;
}

static uint64_t el0_swinc(uint64_t unused)
{
	(void)unused;
	write_sysreg(pmswinc_el0, 0x1UL);
	return 0;
}

static uint64_t el0_read_evcntr(uint64_t unused)
{
	(void)unused;
	return read_sysreg(pmevcntr0_el0);
}

static uint64_t el0_write_userenr(uint64_t unused)
{
	(void)unused;
	write_sysreg(pmuserenr_el0, 0xf);
	return 0;
}

static uint64_t el0_read_userenr(uint64_t unused)
{
	(void)unused;
	return read_sysreg(pmuserenr_el0);
}

static void try_el0(const char *what, uint64_t userenr, uint64_t (*fn)(uint64_t))
{
	write_sysreg(pmuserenr_el0, userenr);
	isb();
	el0_esr = 0;
	el0_traps = 0;
	uint64_t v = run_el0(fn, 0);
	puts_uart(what);
	puts_uart(" with PMUSERENR ");
	put_hex(userenr);
	if (el0_traps) {
		puts_uart(": trapped, ESR ");
		put_hex(el0_esr);
	} else {
		puts_uart(": allowed, value ");
		put_hex(v);
	}
	puts_uart("\n");
}

static void user_access(void)
{
	current_hook = el0_trap;
	write_sysreg(pmcntenclr_el0, ~0UL);
	write_sysreg(pmevcntr0_el0, 0x1234);
	try_el0("EL0 read PMCR_EL0.N", 0, el0_read_pmcr);
	try_el0("EL0 read PMCR_EL0.N", 1, el0_read_pmcr);
	try_el0("EL0 read PMCCNTR_EL0", 0, el0_read_ccntr);
	try_el0("EL0 read PMCCNTR_EL0", 4, el0_read_ccntr);
	try_el0("EL0 write PMSWINC_EL0", 0, el0_swinc);
	try_el0("EL0 write PMSWINC_EL0", 2, el0_swinc);
	try_el0("EL0 read PMEVCNTR0_EL0", 4, el0_read_evcntr);
	try_el0("EL0 read PMEVCNTR0_EL0", 8, el0_read_evcntr);
	try_el0("EL0 read PMUSERENR_EL0", 0, el0_read_userenr);
	try_el0("EL0 write PMUSERENR_EL0", 1, el0_write_userenr);
	write_sysreg(pmuserenr_el0, 0);
	current_hook = 0;
}

void conformance_main(void)
{
	puts_uart("pmu: PMUv3\n");
	put_line("ID_AA64DFR0_EL1.PMUVer", (read_sysreg(id_aa64dfr0_el1) >> 8) & 0xf);
	registers();
	counting();
	software_increment();
	overflow_interrupt();
	user_access();
	puts_uart("pmu: done\n");
}
