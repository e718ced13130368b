// Integer arithmetic and bit tricks: every result goes through a checksum and is
// printed, so any wrong instruction shows up in the output compared with qemu-aarch64.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t state = 0x9e3779b97f4a7c15ull;
static uint64_t next(void) { /* xorshift64* */
  state ^= state >> 12; state ^= state << 25; state ^= state >> 27;
  return state * 2685821657736338717ull;
}

static uint64_t mix(uint64_t h, uint64_t v) { return (h ^ v) * 0x100000001b3ull + (h >> 29); }

__attribute__((noinline)) static int64_t sdiv(int64_t a, int64_t b) { return b ? a / b : 0; }
__attribute__((noinline)) static uint64_t udiv(uint64_t a, uint64_t b) { return b ? a / b : 0; }
__attribute__((noinline)) static int32_t sdiv32(int32_t a, int32_t b) { return b ? a / b : 0; }
__attribute__((noinline)) static uint32_t umod32(uint32_t a, uint32_t b) { return b ? a % b : 0; }

int main(void) {
  uint64_t h = 0;
  static const int64_t edge[] = {0, 1, -1, 2, -2, 7, -7, INT64_MAX, INT64_MIN, INT32_MAX, INT32_MIN, 255, 65536};
  const int ne = sizeof edge / sizeof edge[0];
  for (int i = 0; i < ne; i++)
    for (int j = 0; j < ne; j++) {
      int64_t a = edge[i], b = edge[j];
      h = mix(h, (uint64_t)(a + b)); h = mix(h, (uint64_t)(a - b)); h = mix(h, (uint64_t)(a * b));
      if (!(a == INT64_MIN && b == -1)) h = mix(h, (uint64_t)sdiv(a, b));
      h = mix(h, udiv((uint64_t)a, (uint64_t)b));
      if (!((int32_t)a == INT32_MIN && (int32_t)b == -1)) h = mix(h, (uint64_t)(int64_t)sdiv32((int32_t)a, (int32_t)b));
      h = mix(h, umod32((uint32_t)a, (uint32_t)b));
      h = mix(h, (uint64_t)((__int128)a * b >> 64)); h = mix(h, (uint64_t)((unsigned __int128)(uint64_t)a * (uint64_t)b >> 64));
      int64_t r; h = mix(h, (uint64_t)__builtin_add_overflow(a, b, &r)); h = mix(h, (uint64_t)__builtin_mul_overflow(a, b, &r));
      h = mix(h, a < b); h = mix(h, (uint64_t)a < (uint64_t)b); h = mix(h, (uint64_t)(a > b ? a : b));
    }
  printf("edge mix %016llx\n", (unsigned long long)h);

  uint64_t bits = 0;
  for (int i = 0; i < 5000; i++) {
    uint64_t x = next(), y = next();
    uint32_t w = (uint32_t)x;
    unsigned s = y & 63;
    bits = mix(bits, x ? (uint64_t)__builtin_clzll(x) : 64);
    bits = mix(bits, x ? (uint64_t)__builtin_ctzll(x) : 64);
    bits = mix(bits, (uint64_t)__builtin_popcountll(x));
    bits = mix(bits, w ? (uint64_t)__builtin_clz(w) : 32);
    bits = mix(bits, (uint64_t)__builtin_clrsbll((int64_t)x));
    bits = mix(bits, __builtin_bswap64(x)); bits = mix(bits, __builtin_bswap32(w)); bits = mix(bits, __builtin_bswap16((uint16_t)w));
    bits = mix(bits, (x << s) | (x >> ((64 - s) & 63)));
    bits = mix(bits, (uint64_t)((int64_t)x >> s)); bits = mix(bits, x >> s); bits = mix(bits, (uint64_t)((int32_t)w >> (s & 31)));
    bits = mix(bits, (x >> 7) & 0x1fff); bits = mix(bits, (uint64_t)(((int64_t)x << 11) >> 40));
    bits = mix(bits, (x & ~0xff0ull) | ((y & 0xff) << 4));
    bits = mix(bits, x * y + (x ^ y)); bits = mix(bits, x - y * 3);
    bits = mix(bits, (int64_t)x < 0 ? -x : x); bits = mix(bits, x & (x - 1)); bits = mix(bits, x & -x);
    bits = mix(bits, (uint64_t)(int64_t)(int8_t)x + (uint64_t)(int64_t)(int16_t)y + (uint64_t)(int64_t)(int32_t)x);
    bits = mix(bits, (uint8_t)x + (uint16_t)y + (uint32_t)(x >> 3));
    bits = mix(bits, y ? x % y : 0); bits = mix(bits, (y >> 40) ? (uint64_t)((int64_t)x / (int64_t)(y >> 40)) : 1);
    bits = mix(bits, x > y ? x - y : y - x); bits = mix(bits, (x & 1) ? x + 5 : y - 9);
    uint32_t c32 = (uint32_t)x + (uint32_t)y; bits = mix(bits, c32 < (uint32_t)x);
    unsigned __int128 p = (unsigned __int128)x * y; bits = mix(bits, (uint64_t)p); bits = mix(bits, (uint64_t)(p >> 64));
  }
  printf("bits mix %016llx\n", (unsigned long long)bits);

  int64_t acc = 1;
  for (int i = 1; i < 64; i++) acc = acc * 3 + i * (acc >> 5) - (acc % 7);
  printf("acc %lld %llx\n", (long long)acc, (unsigned long long)acc);
  printf("div %lld %lld %llu %d\n", (long long)sdiv(-1000000007, 13), (long long)sdiv(INT64_MIN, 3),
         (unsigned long long)udiv(UINT64_MAX, 10), sdiv32(-7, 2));
  return (int)(h & 0x3f);
}
