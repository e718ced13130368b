/* QEMU reference harness for the SIMD tests (built with aarch64-linux-gnu-gcc -static,
 * run under qemu-aarch64 -cpu cortex-a57 by record.ts). For each record on stdin it
 * runs one instruction with the given V0-V31, X0-X30, FPCR and NZCV and writes back a
 * status word (0 = executed, 1 = SIGILL: UNDEFINED) and the resulting state.
 * The instruction runs from a page next to the code and returns with a direct branch,
 * so it may write any general register. */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

struct state {
  uint8_t v[32][16];   /* 0 */
  uint64_t x[32];      /* 512 (x31 unused) */
  uint64_t fpcr;       /* 768 */
  uint64_t fpsr;       /* 776 */
  uint64_t nzcv;       /* 784 */
};
#define STATE_SIZE 792

struct state *g_state;
uint64_t g_saved_sp;
static uint32_t code_page[2048] __attribute__((aligned(4096)));
static sigjmp_buf g_jmp;

extern void run_one(void);
extern char landing[];
__asm__(
    ".global run_one\n"
    ".global landing\n"
    "run_one:\n"
    "  stp x29, x30, [sp, #-96]!\n"
    "  stp x19, x20, [sp, #16]\n"
    "  stp x21, x22, [sp, #32]\n"
    "  stp x23, x24, [sp, #48]\n"
    "  stp x25, x26, [sp, #64]\n"
    "  stp x27, x28, [sp, #80]\n"
    "  adrp x9, g_saved_sp\n"
    "  mov x10, sp\n"
    "  str x10, [x9, :lo12:g_saved_sp]\n"
    "  adrp x9, g_state\n"
    "  ldr x9, [x9, :lo12:g_state]\n"
    "  ldp q0, q1, [x9, #0]\n   ldp q2, q3, [x9, #32]\n   ldp q4, q5, [x9, #64]\n"
    "  ldp q6, q7, [x9, #96]\n  ldp q8, q9, [x9, #128]\n  ldp q10, q11, [x9, #160]\n"
    "  ldp q12, q13, [x9, #192]\n ldp q14, q15, [x9, #224]\n ldp q16, q17, [x9, #256]\n"
    "  ldp q18, q19, [x9, #288]\n ldp q20, q21, [x9, #320]\n ldp q22, q23, [x9, #352]\n"
    "  ldp q24, q25, [x9, #384]\n ldp q26, q27, [x9, #416]\n ldp q28, q29, [x9, #448]\n"
    "  ldp q30, q31, [x9, #480]\n"
    "  ldr x10, [x9, #768]\n  msr fpcr, x10\n  msr fpsr, xzr\n"
    "  ldr x10, [x9, #784]\n  msr nzcv, x10\n"
    "  add x30, x9, #512\n"
    "  ldp x0, x1, [x30, #0]\n   ldp x2, x3, [x30, #16]\n  ldp x4, x5, [x30, #32]\n"
    "  ldp x6, x7, [x30, #48]\n  ldp x8, x9, [x30, #64]\n  ldp x10, x11, [x30, #80]\n"
    "  ldp x12, x13, [x30, #96]\n ldp x14, x15, [x30, #112]\n"
    "  ldp x18, x19, [x30, #144]\n ldp x20, x21, [x30, #160]\n ldp x22, x23, [x30, #176]\n"
    "  ldp x24, x25, [x30, #192]\n ldp x26, x27, [x30, #208]\n ldp x28, x29, [x30, #224]\n"
    "  ldr x16, [x30, #128]\n"
    "  adrp x17, code_page_addr\n"
    "  ldr x17, [x17, :lo12:code_page_addr]\n"
    "  ldr x30, [x30, #240]\n"
    "  br x17\n" /* the page reloads x17 from its literal, runs the insn, B landing */
    "landing:\n"
    "  stp x0, x1, [sp, #-16]!\n"
    "  adrp x0, g_state\n  ldr x0, [x0, :lo12:g_state]\n"
    "  stp q0, q1, [x0, #0]\n   stp q2, q3, [x0, #32]\n   stp q4, q5, [x0, #64]\n"
    "  stp q6, q7, [x0, #96]\n  stp q8, q9, [x0, #128]\n  stp q10, q11, [x0, #160]\n"
    "  stp q12, q13, [x0, #192]\n stp q14, q15, [x0, #224]\n stp q16, q17, [x0, #256]\n"
    "  stp q18, q19, [x0, #288]\n stp q20, q21, [x0, #320]\n stp q22, q23, [x0, #352]\n"
    "  stp q24, q25, [x0, #384]\n stp q26, q27, [x0, #416]\n stp q28, q29, [x0, #448]\n"
    "  stp q30, q31, [x0, #480]\n"
    "  add x0, x0, #512\n"
    "  stp x2, x3, [x0, #16]\n  stp x4, x5, [x0, #32]\n  stp x6, x7, [x0, #48]\n"
    "  stp x8, x9, [x0, #64]\n  stp x10, x11, [x0, #80]\n  stp x12, x13, [x0, #96]\n"
    "  stp x14, x15, [x0, #112]\n stp x16, x17, [x0, #128]\n stp x18, x19, [x0, #144]\n"
    "  stp x20, x21, [x0, #160]\n stp x22, x23, [x0, #176]\n stp x24, x25, [x0, #192]\n"
    "  stp x26, x27, [x0, #208]\n stp x28, x29, [x0, #224]\n str x30, [x0, #240]\n"
    "  ldp x2, x3, [sp], #16\n  stp x2, x3, [x0, #0]\n"
    "  sub x0, x0, #512\n"
    "  mrs x1, fpsr\n  str x1, [x0, #776]\n  mrs x1, nzcv\n  str x1, [x0, #784]\n"
    "  msr fpcr, xzr\n"
    "  ldp x19, x20, [sp, #16]\n  ldp x21, x22, [sp, #32]\n  ldp x23, x24, [sp, #48]\n"
    "  ldp x25, x26, [sp, #64]\n  ldp x27, x28, [sp, #80]\n  ldp x29, x30, [sp], #96\n"
    "  ret\n");

uint64_t code_page_addr;

static void on_sigill(int sig) {
  (void)sig;
  siglongjmp(g_jmp, 1);
}

int main(void) {
  static struct state s;
  uint32_t insn;
  mprotect(code_page, sizeof code_page, PROT_READ | PROT_WRITE | PROT_EXEC);
  code_page_addr = (uint64_t)code_page;
  g_state = &s;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigill;
  sa.sa_flags = SA_NODEFER;
  sigaction(SIGILL, &sa, 0);
  while (fread(&insn, 4, 1, stdin) == 1 && fread(&s, 1, STATE_SIZE, stdin) == STATE_SIZE) {
    uint32_t status = 0;
    /* Page: LDR x17, =input x17; the instruction; B landing. */
    code_page[0] = 0x58000091u; /* ldr x17, [pc, #16] */
    code_page[1] = insn;
    int64_t delta = ((int64_t)(uintptr_t)landing - (int64_t)(uintptr_t)&code_page[2]) / 4;
    code_page[2] = 0x14000000u | ((uint32_t)delta & 0x03ffffffu);
    memcpy(&code_page[4], &s.x[17], 8);
    __builtin___clear_cache((char *)code_page, (char *)(code_page + 6));
    if (sigsetjmp(g_jmp, 1) == 0) {
      run_one();
    } else {
      status = 1;
      __asm__ volatile("msr fpcr, xzr");
    }
    fwrite(&status, 4, 1, stdout);
    fwrite(&s, 1, STATE_SIZE, stdout);
    fflush(stdout);
  }
  return 0;
}
