// Prints the 16 AT_RANDOM bytes the loader gave this process, in hex. tools/trace-diff.ts
// runs it under `qemu-aarch64 -seed N` to give our loader the same bytes, so that the
// stack guard and pointer guard glibc derives from them match in both traces.
#include <stdio.h>
#include <sys/auxv.h>

int main(void) {
  const unsigned char *r = (const unsigned char *)getauxval(AT_RANDOM);
  for (int i = 0; i < 16; i++) printf("%02x", r[i]);
  printf("\n");
  return 0;
}
