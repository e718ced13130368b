/*
 * The rtc-pl031 guest: what an OS sees of the machine's PL031 real-time clock (ARM
 * DDI 0224, at 0x0901_0000 on QEMU virt and gunyah-ts). Under gunyah-ts the PL031 is
 * the hypervisor's vRTC (Gunyah's hyp/vm/vrtc_pl031); test/e2e/rtc-pl031.test.ts
 * runs this guest there and under qemu-system-aarch64 and compares what it prints.
 * It reads the PrimeCell ID registers, the control register and the time (RTCDR),
 * loads a new time through RTCLR and reads it back, masks the interrupt (RTCIMSC = 0)
 * and reads the interrupt status. Times are printed as seconds since the epoch.
 */
#include <stdint.h>

#define UART_BASE 0x09000000UL
#define UART_DR 0x000
#define UART_FR 0x018
#define UART_FR_TXFF (1u << 5)

#define RTC_BASE 0x09010000UL
#define RTCDR 0x000
#define RTCLR 0x008
#define RTCCR 0x00c
#define RTCIMSC 0x010
#define RTCRIS 0x014
#define RTCMIS 0x018
#define RTCICR 0x01c
#define RTC_PERIPH_ID0 0xfe0
#define RTC_PCELL_ID0 0xff0

/* 2001-09-09T01:46:40Z: far from any base a test uses. */
#define NEW_TIME 1000000000u

#define PSCI_SYSTEM_OFF 0x84000008UL

static inline uint32_t rd(uint64_t addr)
{
	return *(volatile uint32_t *)addr;
}

static inline void wr(uint64_t addr, uint32_t v)
{
	*(volatile uint32_t *)addr = v;
}

static void putc_(char c)
{
	while (rd(UART_BASE + UART_FR) & UART_FR_TXFF)
		;
	wr(UART_BASE + UART_DR, (uint32_t)(unsigned char)c);
}

static void puts_(const char *s)
{
	while (*s)
		putc_(*s++);
}

static void put_dec(uint64_t v)
{
	char buf[24];
	int n = 0;
	do {
		buf[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		putc_(buf[--n]);
}

static void put_hex2(uint32_t v)
{
	static const char digits[] = "0123456789abcdef";
	putc_(digits[(v >> 4) & 0xf]);
	putc_(digits[v & 0xf]);
}

static void line(const char *name, uint64_t v)
{
	puts_(name);
	puts_(": ");
	put_dec(v);
	putc_('\n');
}

static void ids(const char *name, uint64_t first)
{
	puts_(name);
	puts_(":");
	for (int i = 0; i < 4; i++) {
		putc_(' ');
		put_hex2(rd(first + 4u * (uint64_t)i));
	}
	putc_('\n');
}

static void power_off(void)
{
	register uint64_t x0 __asm__("x0") = PSCI_SYSTEM_OFF;
	__asm__ volatile("hvc #0" : "+r"(x0) : : "x1", "x2", "x3", "memory");
}

void guest_exception(uint64_t vector, uint64_t esr, uint64_t elr)
{
	line("exception vector", vector);
	line("esr", esr);
	line("elr", elr);
	power_off();
}

void guest_main(void)
{
	puts_("rtc-pl031 guest\n");
	ids("periph id", RTC_BASE + RTC_PERIPH_ID0);
	ids("pcell id", RTC_BASE + RTC_PCELL_ID0);
	line("rtccr", rd(RTC_BASE + RTCCR) & 1u);
	line("rtcdr", rd(RTC_BASE + RTCDR));
	/* Mask the interrupt and clear any pending one: nothing may be raised. */
	wr(RTC_BASE + RTCIMSC, 0);
	wr(RTC_BASE + RTCICR, 1);
	line("rtcimsc", rd(RTC_BASE + RTCIMSC) & 1u);
	line("rtcris", rd(RTC_BASE + RTCRIS) & 1u);
	line("rtcmis", rd(RTC_BASE + RTCMIS) & 1u);
	/* A new time: read back at once and after a busy wait of some 10^7 loads. */
	wr(RTC_BASE + RTCLR, NEW_TIME);
	line("rtclr", rd(RTC_BASE + RTCLR));
	line("rtcdr after load", rd(RTC_BASE + RTCDR));
	uint32_t last = 0;
	for (int i = 0; i < 100000; i++)
		last = rd(RTC_BASE + RTCDR);
	line("rtcdr later", last);
	line("rtcmis", rd(RTC_BASE + RTCMIS) & 1u);
	puts_("rtc-pl031 done\n");
	power_off();
}
