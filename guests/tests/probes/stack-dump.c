// Dumps the initial stack from argc up to the top of the stack page, auxv keys and
// values, and the first heap and mmap addresses: test/exec compares this output under
// gunyah exec with qemu-aarch64's to pin the loader's layout to the reference one.
#include <stdio.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
  unsigned long *sp = (unsigned long *)argv - 1;
  printf("sp %p argc %d\n", (void *)sp, argc);
  char **e = environ;
  while (*e) e++;
  for (unsigned long *a = (unsigned long *)(e + 1); a[0]; a += 2) {
    int volatile_value = a[0] == AT_HWCAP || a[0] == AT_HWCAP2 || a[0] == AT_UID || a[0] == AT_EUID ||
                         a[0] == AT_GID || a[0] == AT_EGID;
    if (volatile_value) {
      printf("auxv %lu\n", a[0]);
      a[1] = 0; /* host- and CPU-model-specific: left out of the dump below */
    }
    else printf("auxv %lu = %lx\n", a[0], a[1]);
  }
  const unsigned char *top = (const unsigned char *)(((unsigned long)sp | 0xfff) + 1);
  const unsigned char *random = (const unsigned char *)getauxval(AT_RANDOM);
  for (const unsigned char *c = (const unsigned char *)sp; c < top; c++) {
    if (c >= random && c < random + 16) continue;
    printf("%02x", *c);
    if (((unsigned long)c & 31) == 31) printf("\n");
  }
  printf("\nbrk %p\n", sbrk(0));
  void *m = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  printf("mmap %p\n", m);
  return 0;
}
