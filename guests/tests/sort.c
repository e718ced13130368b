// qsort and bsearch on integers, strings and structs.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rec { int key; double w; char name[12]; };
static int cmp_int(const void *a, const void *b) { int x = *(const int *)a, y = *(const int *)b; return (x > y) - (x < y); }
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
static int cmp_rec(const void *a, const void *b) {
  const struct rec *x = a, *y = b;
  if (x->w != y->w) return x->w < y->w ? -1 : 1;
  return x->key - y->key;
}

int main(void) {
  enum { N = 6000 };
  static int v[N];
  unsigned s = 12345;
  for (int i = 0; i < N; i++) { s = s * 1103515245u + 12345u; v[i] = (int)(s >> 1) - (1 << 30); }
  qsort(v, N, sizeof v[0], cmp_int);
  unsigned long long h = 0;
  for (int i = 0; i < N; i++) h = h * 31 + (unsigned)v[i];
  int ok = 1;
  for (int i = 1; i < N; i++) ok &= v[i - 1] <= v[i];
  int key = v[777];
  int *hit = bsearch(&key, v, N, sizeof v[0], cmp_int);
  printf("ints sorted=%d hash=%llx min=%d max=%d found=%ld\n", ok, h, v[0], v[N - 1], hit ? (long)(hit - v) : -1L);

  static char words[1500][16];
  static char *ptrs[1500];
  for (int i = 0; i < 1500; i++) {
    s = s * 1103515245u + 12345u;
    int len = 3 + (s >> 16) % 10;
    for (int j = 0; j < len; j++) { s = s * 1103515245u + 12345u; words[i][j] = (char)('a' + (s >> 16) % 26); }
    words[i][len] = 0;
    ptrs[i] = words[i];
  }
  qsort(ptrs, 1500, sizeof ptrs[0], cmp_str);
  printf("words %s %s %s %s\n", ptrs[0], ptrs[1], ptrs[750], ptrs[1499]);

  static struct rec r[2000];
  for (int i = 0; i < 2000; i++) {
    s = s * 1103515245u + 12345u;
    r[i].key = i; r[i].w = (double)((s >> 8) % 1000) / 7.0;
    snprintf(r[i].name, sizeof r[i].name, "r%d", i);
  }
  qsort(r, 2000, sizeof r[0], cmp_rec);
  printf("recs %s %.6f %s %.6f %s\n", r[0].name, r[0].w, r[1000].name, r[1000].w, r[1999].name);
  return 0;
}
