// glibc's string routines (SIMD memcpy/memset/strlen/strchr/...) at every alignment
// and many lengths; results are hashed and printed.
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static unsigned char src[4096 + 64], dst[4096 + 64];
static uint32_t h = 2166136261u;
static void mixv(uint64_t v) { for (int i = 0; i < 8; i++) { h ^= (v >> (8 * i)) & 0xff; h *= 16777619u; } }
static void mixbuf(const unsigned char *p, size_t n) { for (size_t i = 0; i < n; i++) { h ^= p[i]; h *= 16777619u; } }

int main(void) {
  for (int i = 0; i < (int)sizeof src; i++) src[i] = (unsigned char)(i * 131 + 7) | 1;
  static const size_t lens[] = {0, 1, 2, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 200, 255, 256, 511, 1000, 1024, 2049, 4000};
  for (int sa = 0; sa < 16; sa += 3)
    for (int da = 0; da < 16; da += 3)
      for (unsigned li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        size_t n = lens[li];
        memset(dst, 0xee, sizeof dst);
        memcpy(dst + da, src + sa, n);
        mixbuf(dst, n + 40 < sizeof dst ? n + 40 : sizeof dst);
        mixv((uint64_t)memcmp(dst + da, src + sa, n));
        if (n > 2) { dst[da + n / 2] ^= 4; mixv((uint64_t)(memcmp(dst + da, src + sa, n) > 0)); }
        memmove(dst + da + 5, dst + da, n); mixbuf(dst + da, n + 5);
        memmove(dst + da, dst + da + 3, n); mixbuf(dst + da, n);
        memset(dst + da, sa, n); mixbuf(dst, n + da + 8 < sizeof dst ? n + da + 8 : sizeof dst);
      }
  printf("mem %08x\n", h);

  char buf[2048];
  for (int a = 0; a < 16; a += 3)
    for (int n = 0; n < 300; n += 7) {
      char *s = buf + a;
      for (int i = 0; i < n; i++) s[i] = (char)('a' + (i * 7 + a) % 26);
      s[n] = 0;
      mixv(strlen(s)); mixv(strnlen(s, 100));
      char *c = strchr(s, 'q'); mixv(c ? (uint64_t)(c - s) : 999);
      c = strrchr(s, 'e'); mixv(c ? (uint64_t)(c - s) : 999);
      c = strchr(s, 0); mixv((uint64_t)(c - s));
      void *m = memchr(s, 'z', (size_t)n); mixv(m ? (uint64_t)((char *)m - s) : 999);
      char t[400]; strcpy(t, s); mixv((uint64_t)strcmp(t, s));
      if (n > 1) { t[n - 1] = 'A'; mixv(strcmp(t, s) < 0); mixv(strncmp(t, s, (size_t)n - 1)); }
      char *f = strstr(s, "hov"); mixv(f ? (uint64_t)(f - s) : 999);
      mixv(strspn(s, "abcdefgh")); mixv(strcspn(s, "xyz"));
    }
  printf("str %08x\n", h);
  char cat[256] = "gunyah";
  strcat(cat, "-ts "); strncat(cat, "exec test bench", 9);
  printf("%s|%zu|%d\n", cat, strlen(cat), strcasecmp("HeLLo", "hello"));
  return 0;
}
