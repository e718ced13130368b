/*
 * The gunyah-ts demo guest: proves every layer under it works. It greets on the
 * PL011 UART, asks the hypervisor who it is (hypervisor_identify, gunyah-abi.md
 * section 1), asks PSCI for its version, and powers the VM off with PSCI SYSTEM_OFF.
 * Runs with the MMU off, so every access is Device memory: no unaligned accesses
 * (-mstrict-align) and no FP/SIMD (-mgeneral-regs-only; CPACR_EL1 traps it at reset).
 */
#include <stdint.h>

#define UART_BASE 0x09000000UL   /* PL011 of the QEMU virt layout */
#define UART_DR 0x000
#define UART_FR 0x018
#define UART_FR_TXFF (1u << 5)   /* PL011 TRM 3.3.3: transmit FIFO full */

#define RAM_BASE 0x40000000UL
#define FDT_MAGIC 0xd00dfeedu

/* SMCCC function IDs: Gunyah hypercalls are fast SMC64 vendor-hypervisor calls. */
#define GUNYAH_HYPERVISOR_IDENTIFY 0xC6008000UL
#define PSCI_VERSION 0x84000000UL
#define PSCI_SYSTEM_OFF 0x84000008UL
#define PSCI_SYSTEM_RESET 0x84000009UL

struct smccc_result {
	uint64_t x0, x1, x2, x3;
};

static struct smccc_result hvc(uint64_t function)
{
	register uint64_t x0 __asm__("x0") = function;
	register uint64_t x1 __asm__("x1") = 0;
	register uint64_t x2 __asm__("x2") = 0;
	register uint64_t x3 __asm__("x3") = 0;
	/* SMCCC: X4-X17 may be clobbered by the callee. */
	__asm__ volatile("hvc #0"
			 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
			 :
			 : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12",
			   "x13", "x14", "x15", "x16", "x17", "memory");
	struct smccc_result r = { x0, x1, x2, x3 };
	return r;
}

static inline uint32_t mmio_read32(uintptr_t addr)
{
	return *(volatile uint32_t *)addr;
}

static inline void mmio_write32(uintptr_t addr, uint32_t value)
{
	*(volatile uint32_t *)addr = value;
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

static void put_hex(uint64_t value)
{
	static const char digits[] = "0123456789abcdef";
	char buf[19];
	int shift = 60;
	int i = 0;

	buf[i++] = '0';
	buf[i++] = 'x';
	while (shift > 0 && ((value >> shift) & 0xf) == 0)
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		buf[i++] = digits[(value >> shift) & 0xf];
	buf[i] = '\0';
	puts_uart(buf);
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

static uint32_t read_be32(uintptr_t addr)
{
	const volatile uint8_t *p = (const volatile uint8_t *)addr;
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void report_device_tree(uint64_t dtb)
{
	puts_uart("demo: device tree at ");
	put_hex(dtb);
	/* Only look inside if the address can be RAM; the header is 8-byte aligned. */
	if (dtb >= RAM_BASE && (dtb & 7) == 0 && read_be32(dtb) == FDT_MAGIC) {
		puts_uart(", ");
		put_dec(read_be32(dtb + 4));
		puts_uart(" bytes");
	} else {
		puts_uart(" (no FDT header there)");
	}
	puts_uart("\n");
}

static void report_identity(void)
{
	struct smccc_result id = hvc(GUNYAH_HYPERVISOR_IDENTIFY);

	if (id.x0 == ~0ULL) {
		puts_uart("demo: hypervisor_identify is not supported\n");
		return;
	}
	/* api info: bits 13:0 API version, bit 14 big-endian, bit 15 64-bit, 63:56 variant. */
	uint64_t version = id.x0 & 0x3fff;
	uint64_t variant = id.x0 >> 56;
	puts_uart("demo: Gunyah hypervisor API version ");
	put_dec(version);
	puts_uart(", variant ");
	put_hex(variant);
	if (variant == 0x48)
		puts_uart(" (Gunyah)");
	else if (variant == 0x51)
		puts_uart(" (Qualcomm)");
	puts_uart((id.x0 & (1u << 15)) ? ", 64-bit" : ", 32-bit");
	puts_uart(", features ");
	put_hex(id.x1);
	puts_uart("\n");
}

static void report_psci(void)
{
	struct smccc_result v = hvc(PSCI_VERSION);

	puts_uart("demo: PSCI version ");
	put_dec((v.x0 >> 16) & 0x7fff);
	puts_uart(".");
	put_dec(v.x0 & 0xffff);
	puts_uart("\n");
}

static uint64_t current_el(void)
{
	uint64_t el;
	__asm__ volatile("mrs %0, CurrentEL" : "=r"(el));
	return (el >> 2) & 3;
}

/* How far the demo got (1 greeted, 2 device tree, 3 identity, 4 PSCI): a variable for
 * debuggers to print and watch (test/e2e/gdb.test.ts). */
volatile uint32_t demo_stage;

void demo_main(uint64_t dtb)
{
	puts_uart("Hello from the gunyah-ts demo guest!\n");
	puts_uart("demo: running at EL");
	put_dec(current_el());
	puts_uart("\n");
	demo_stage = 1;
	report_device_tree(dtb);
	demo_stage = 2;
	report_identity();
	demo_stage = 3;
	report_psci();
	demo_stage = 4;
	puts_uart("demo: powering off\n");
	hvc(PSCI_SYSTEM_OFF);
	puts_uart("demo: SYSTEM_OFF returned\n");
	hvc(PSCI_SYSTEM_RESET);
	for (;;)
		__asm__ volatile("wfi");
}

/* Called from every vector: an exception means something underneath is wrong. Say so
 * and ask for a reset, which the VMM reports as a failure (unlike SYSTEM_OFF). */
void demo_exception(uint64_t index, uint64_t esr, uint64_t elr, uint64_t far)
{
	puts_uart("demo: unexpected exception, vector ");
	put_dec(index);
	puts_uart(" ESR_EL1=");
	put_hex(esr);
	puts_uart(" ELR_EL1=");
	put_hex(elr);
	puts_uart(" FAR_EL1=");
	put_hex(far);
	puts_uart("\n");
	hvc(PSCI_SYSTEM_RESET);
	for (;;)
		__asm__ volatile("wfi");
}
