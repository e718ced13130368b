/* Shared helpers of the conformance guests (see lib.h). */
#include "lib.h"

#define UART_BASE 0x09000000UL
#define UART_FR_TXFF (1u << 5)
#define PSCI_SYSTEM_OFF 0x84000008UL

exception_hook current_hook;

void putc_uart(char c)
{
	while (mmio_read32(UART_BASE + 0x18) & UART_FR_TXFF)
		;
	mmio_write32(UART_BASE, (uint8_t)c);
}

void puts_uart(const char *s)
{
	for (; *s; s++)
		putc_uart(*s);
}

void put_hex(uint64_t value)
{
	static const char digits[] = "0123456789abcdef";
	int shift = 60;

	puts_uart("0x");
	while (shift > 0 && ((value >> shift) & 0xf) == 0)
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		putc_uart(digits[(value >> shift) & 0xf]);
}

void put_dec(uint64_t value)
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

void put_line(const char *label, uint64_t value)
{
	puts_uart(label);
	puts_uart(" ");
	put_hex(value);
	puts_uart("\n");
}

void power_off(void)
{
	register uint64_t x0 __asm__("x0") = PSCI_SYSTEM_OFF;
	__asm__ volatile("hvc #0" : "+r"(x0) : : "x1", "x2", "x3", "memory");
	for (;;)
		__asm__ volatile("wfi");
}

void on_exception(struct frame *f, uint64_t vector)
{
	if (current_hook) {
		current_hook(f, vector);
		return;
	}
	puts_uart("unexpected exception: vector ");
	put_dec(vector);
	puts_uart(" ESR ");
	put_hex(f->esr);
	puts_uart(" ELR ");
	put_hex(f->elr);
	puts_uart(" FAR ");
	put_hex(f->far);
	puts_uart("\n");
	power_off();
}
