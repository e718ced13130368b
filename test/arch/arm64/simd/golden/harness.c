/* QEMU reference harness for the SIMD tests: reads records from stdin, runs the one
 * instruction of each record with the given V0-V7, X0-X3, FPCR and NZCV, and writes
 * back V0-V7, X0-X3, FPSR and NZCV. Built with aarch64-linux-gnu-gcc -static and run
 * under qemu-aarch64 by record.ts. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

struct state {
  uint8_t v[8][16];
  uint64_t x[4];
  uint64_t fpcr, fpsr, nzcv;
  uint64_t code; /* address of insn; ret */
};

extern void run_one(struct state *s);
__asm__(
    ".global run_one\n"
    "run_one:\n"
    "  stp x29, x30, [sp, #-32]!\n"
    "  str x19, [sp, #16]\n"
    "  mov x19, x0\n"
    "  ldp q0, q1, [x19, #0]\n"
    "  ldp q2, q3, [x19, #32]\n"
    "  ldp q4, q5, [x19, #64]\n"
    "  ldp q6, q7, [x19, #96]\n"
    "  ldr x9, [x19, #160]\n"
    "  msr fpcr, x9\n"
    "  msr fpsr, xzr\n"
    "  ldr x9, [x19, #176]\n"
    "  msr nzcv, x9\n"
    "  ldr x10, [x19, #184]\n"
    "  ldp x0, x1, [x19, #128]\n"
    "  ldp x2, x3, [x19, #144]\n"
    "  blr x10\n"
    "  stp q0, q1, [x19, #0]\n"
    "  stp q2, q3, [x19, #32]\n"
    "  stp q4, q5, [x19, #64]\n"
    "  stp q6, q7, [x19, #96]\n"
    "  stp x0, x1, [x19, #128]\n"
    "  stp x2, x3, [x19, #144]\n"
    "  mrs x9, fpsr\n"
    "  str x9, [x19, #168]\n"
    "  mrs x9, nzcv\n"
    "  str x9, [x19, #176]\n"
    "  msr fpcr, xzr\n"
    "  ldr x19, [sp, #16]\n"
    "  ldp x29, x30, [sp], #32\n"
    "  ret\n");

int main(void) {
  uint32_t *page = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  struct state s;
  uint32_t insn;
  while (fread(&insn, 4, 1, stdin) == 1 && fread(&s, 1, 184, stdin) == 184) {
    page[0] = insn;
    page[1] = 0xd65f03c0; /* ret */
    __builtin___clear_cache((char *)page, (char *)(page + 2));
    s.code = (uint64_t)page;
    run_one(&s);
    fwrite(&s, 1, 184, stdout);
    fflush(stdout);
  }
  return 0;
}
