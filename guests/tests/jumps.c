// setjmp/longjmp, recursion, switch tables and function pointers.
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

static jmp_buf env;
static int depth_reached;

static void dive(int depth) {
  volatile char pad[64];
  pad[depth % 64] = (char)depth;
  if (depth >= 37) { depth_reached = depth + pad[depth % 64]; longjmp(env, depth); }
  dive(depth + 1);
}

static long ack(long m, long n) { return m == 0 ? n + 1 : n == 0 ? ack(m - 1, 1) : ack(m - 1, ack(m, n - 1)); }
static long fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
static int queens(int n, int row, unsigned cols, unsigned d1, unsigned d2) {
  if (row == n) return 1;
  int count = 0;
  for (int c = 0; c < n; c++) {
    if ((cols >> c) & 1 || (d1 >> (row + c)) & 1 || (d2 >> (row - c + n)) & 1) continue;
    count += queens(n, row + 1, cols | 1u << c, d1 | 1u << (row + c), d2 | 1u << (row - c + n));
  }
  return count;
}
static void hanoi(int n, int a, int b, int c, long *moves, long *sig) {
  if (!n) return;
  hanoi(n - 1, a, c, b, moves, sig);
  ++*moves; *sig = *sig * 7 + a * 3 + c;
  hanoi(n - 1, b, a, c, moves, sig);
}

__attribute__((noinline)) static int classify(int x) {
  switch (x) {
    case 0: return 17; case 1: return 4; case 2: return 99; case 3: return -5; case 4: return 12;
    case 5: return 8; case 6: return 1000; case 7: return 3; case 8: return 42; case 9: return -77;
    case 10: return 61; case 11: return 2; case 13: return 19; case 17: return 23; default: return x * 2;
  }
}
static int add(int a, int b) { return a + b; }
static int sub(int a, int b) { return a - b; }
static int mul(int a, int b) { return a * b; }
static int xr(int a, int b) { return a ^ b; }

int main(void) {
  int r = setjmp(env);
  if (r == 0) { dive(0); puts("not reached"); return 1; }
  printf("longjmp returned %d depth %d\n", r, depth_reached);
  volatile int counter = 0;
  jmp_buf e2;
  if (setjmp(e2) < 3) { counter++; longjmp(e2, counter); }
  printf("counter %d\n", counter);
  printf("ack %ld fib %ld queens8 %d\n", ack(2, 300), fib(25), queens(8, 0, 0, 0, 0));
  long moves = 0, sig = 0;
  hanoi(16, 1, 2, 3, &moves, &sig);
  printf("hanoi %ld %ld\n", moves, sig);
  long t = 0;
  for (int i = -3; i < 40; i++) t = t * 3 + classify(i);
  int (*ops[])(int, int) = {add, sub, mul, xr};
  int acc = 1;
  for (int i = 0; i < 100; i++) acc = ops[(i * 7) % 4](acc, i + 3);
  printf("switch %ld ops %d\n", t, acc);
  return 0;
}
