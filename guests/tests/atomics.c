// __sync and __atomic builtins (exclusive pairs at armv8-a, LSE atomics at armv8.1-a).
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

static volatile uint64_t c64 = 5;
static volatile uint32_t c32 = 7;
static volatile uint16_t c16 = 9;
static volatile uint8_t c8 = 11;
static _Atomic long counter;

int main(void) {
  uint64_t h = 0;
  for (int i = 0; i < 1000; i++) {
    h = h * 31 + __sync_fetch_and_add(&c64, (uint64_t)i * 3);
    h = h * 31 + __sync_fetch_and_sub(&c32, (uint32_t)i);
    h = h * 31 + __sync_fetch_and_or(&c16, (uint16_t)(i << 3));
    h = h * 31 + __sync_fetch_and_and(&c8, (uint8_t)~(i & 0x11));
    h = h * 31 + __sync_fetch_and_xor(&c64, (uint64_t)i << 17);
    h = h * 31 + __sync_add_and_fetch(&c32, 5u);
    h = h * 31 + __sync_val_compare_and_swap(&c64, c64, c64 * 3 + 1);
    h = h * 31 + __sync_bool_compare_and_swap(&c32, 12345u, 1u);
    h = h * 31 + __sync_lock_test_and_set(&c8, (uint8_t)i);
    uint64_t expected = c64;
    h = h * 31 + __atomic_compare_exchange_n(&c64, &expected, expected + 9, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    h = h * 31 + __atomic_exchange_n(&c16, (uint16_t)(i * 5), __ATOMIC_ACQ_REL);
    atomic_fetch_add_explicit(&counter, i, memory_order_relaxed);
    h = h * 31 + (uint64_t)atomic_load_explicit(&counter, memory_order_acquire);
    __atomic_store_n(&c32, c32 + 1, __ATOMIC_RELEASE);
    __sync_synchronize();
  }
  printf("atomics %016llx c64=%llu c32=%u c16=%u c8=%u counter=%ld\n", (unsigned long long)h,
         (unsigned long long)c64, c32, c16, c8, (long)counter);
  return 0;
}
