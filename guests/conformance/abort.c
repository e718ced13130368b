/* Accesses to an IPA with nothing behind it (the page just past RAM, and far beyond
 * it): a load, a store, a load pair, a store with writeback, a branch, and a load at
 * EL0. Real hardware, KVM and QEMU give the guest a synchronous external abort with
 * the architecture's syndrome (Arm ARM D17.2.40 ESR_EL1: EC 0x24/0x25 data abort,
 * 0x20/0x21 instruction abort, DFSC/IFSC 0b010000, FnV 0 and FAR = the address); the
 * guest's handler decides what happens next. Prints each syndrome. */
#include "lib.h"

#define PAST_RAM (RAM_BASE + RAM_SIZE)
#define FAR_AWAY 0x80000000UL

static volatile uint64_t seen_esr, seen_far, seen_elr, aborts;

/* A data abort resumes after the instruction; an instruction abort at the return
 * address the BLR left in x30. */
static void record(struct frame *f, uint64_t vector)
{
	(void)vector;
	seen_esr = f->esr;
	seen_far = f->far;
	seen_elr = f->elr;
	aborts++;
	uint64_t ec = f->esr >> 26;
	if (ec == 0x20 || ec == 0x21)
		f->elr = f->x[30];
	else
		f->elr += 4;
}

static void report(const char *what, uint64_t insn_addr)
{
	puts_uart(what);
	puts_uart(": ESR ");
	put_hex(seen_esr);
	puts_uart(" FAR ");
	put_hex(seen_far);
	puts_uart(seen_elr == insn_addr ? " ELR at the access\n" : " ELR elsewhere\n");
	seen_esr = seen_far = seen_elr = 0;
}

static void load(uint64_t addr)
{
	uint64_t at, v = 0x55;
	__asm__ volatile("adr %0, 1f\n1: ldr %w1, [%2]" : "=&r"(at), "+r"(v) : "r"(addr) : "memory");
	report("ldr w", at);
}

static void load_byte(uint64_t addr)
{
	uint64_t at, v = 0x55;
	__asm__ volatile("adr %0, 1f\n1: ldrb %w1, [%2]" : "=&r"(at), "+r"(v) : "r"(addr) : "memory");
	report("ldrb", at);
}

static void store(uint64_t addr)
{
	uint64_t at;
	__asm__ volatile("adr %0, 1f\n1: str %1, [%1]" : "=&r"(at) : "r"(addr) : "memory");
	report("str x", at);
}

static void load_pair(uint64_t addr)
{
	uint64_t at, a = 1, b = 2;
	__asm__ volatile("adr %0, 1f\n1: ldp %1, %2, [%3]"
			 : "=&r"(at), "+r"(a), "+r"(b)
			 : "r"(addr)
			 : "memory");
	report("ldp x", at);
}

static void store_writeback(uint64_t addr)
{
	uint64_t at, p = addr;
	__asm__ volatile("adr %0, 1f\n1: str xzr, [%1, #8]!" : "=&r"(at), "+r"(p) : : "memory");
	report("str x, [x, #8]!", at);
	puts_uart(p == addr ? "  base register unchanged\n" : "  base register written back\n");
}

static void branch(uint64_t addr)
{
	__asm__ volatile("blr %0" : : "r"(addr) : "x30", "memory");
	report("blr", addr);
}

static uint64_t el0_load(uint64_t addr)
{
	uint64_t v = 0x55;
	__asm__ volatile("ldr %w0, [%1]" : "+r"(v) : "r"(addr) : "memory");
	return v;
}

void conformance_main(void)
{
	puts_uart("abort: accesses to addresses with nothing behind them\n");
	current_hook = record;
	load(PAST_RAM);
	load_byte(PAST_RAM + 3);
	store(PAST_RAM + 0x10);
	load_pair(PAST_RAM + 0x20);
	store_writeback(PAST_RAM + 0x40);
	branch(PAST_RAM + 0x80);
	load(FAR_AWAY);
	branch(FAR_AWAY);

	uint64_t v = run_el0(el0_load, PAST_RAM + 8);
	puts_uart("el0 ldr w: ESR ");
	put_hex(seen_esr);
	puts_uart(" FAR ");
	put_hex(seen_far);
	puts_uart(" value kept ");
	put_hex(v);
	puts_uart("\n");

	/* A guest taking such aborts in a loop keeps running (and so does the host). */
	aborts = 0;
	for (int i = 0; i < 2000; i++) {
		uint64_t x = 0;
		__asm__ volatile("ldr %w0, [%1]" : "+r"(x) : "r"(PAST_RAM + 4 * (uint64_t)(i % 1024)) : "memory");
	}
	puts_uart("aborts taken in a loop: ");
	put_dec(aborts);
	puts_uart("\n");
	current_hook = 0;
	puts_uart("abort: done\n");
}
