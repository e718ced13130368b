/* Shared helpers of the conformance guests: PL011 output, PSCI, the exception frame
 * and a hook per test for exceptions it expects. Every guest prints only facts a
 * real CPU gives the same way (syndromes, counts), so its output on gunyah-ts and on
 * qemu-system-aarch64 (virt, GICv3, cortex-a57) must be identical. */
#ifndef CONFORMANCE_LIB_H
#define CONFORMANCE_LIB_H
#include <stdint.h>

#define RAM_BASE 0x40000000UL
/* Both runs give the guest exactly this much RAM (test/conformance passes it). */
#define RAM_SIZE (64UL << 20)
#define GICD_BASE 0x08000000UL
#define GICR_BASE 0x080A0000UL

struct frame {
	uint64_t x[31];
	uint64_t elr, spsr, esr, far;
	uint64_t pad;
};

/* Called for every exception; returns with the frame's ELR/registers applied. The
 * default (weak) handler reports an unexpected exception and powers off. */
typedef void (*exception_hook)(struct frame *f, uint64_t vector);
extern exception_hook current_hook;

void putc_uart(char c);
void puts_uart(const char *s);
void put_hex(uint64_t value);
void put_dec(uint64_t value);
void put_line(const char *label, uint64_t value);
void power_off(void) __attribute__((noreturn));
uint64_t run_el0(uint64_t (*fn)(uint64_t), uint64_t arg);
void conformance_main(void);

static inline void mmio_write32(uintptr_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline uint32_t mmio_read32(uintptr_t a) { return *(volatile uint32_t *)a; }

#define read_sysreg(r) ({ uint64_t __v; __asm__ volatile("mrs %0, " #r : "=r"(__v)); __v; })
#define write_sysreg(r, v) __asm__ volatile("msr " #r ", %0" : : "r"((uint64_t)(v)))
#define isb() __asm__ volatile("isb" ::: "memory")

#endif
