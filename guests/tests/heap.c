// malloc-heavy code: lists, trees, random allocate/free/realloc, large (mmap) blocks.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node { struct node *l, *r; long key; char payload[24]; };
static struct node *insert(struct node *t, long k) {
  if (!t) { t = calloc(1, sizeof *t); t->key = k; snprintf(t->payload, sizeof t->payload, "k%ld", k); return t; }
  if (k < t->key) t->l = insert(t->l, k); else t->r = insert(t->r, k);
  return t;
}
static long walk(struct node *t, long *count) { if (!t) return 0; ++*count; return walk(t->l, count) * 3 + t->key + walk(t->r, count) + (long)strlen(t->payload); }
static void release(struct node *t) { if (t) { release(t->l); release(t->r); free(t); } }

int main(void) {
  unsigned s = 99;
  struct node *root = NULL;
  for (int i = 0; i < 5000; i++) { s = s * 1103515245u + 12345u; root = insert(root, (long)(s >> 8) % 100000); }
  long count = 0;
  long w = walk(root, &count);
  printf("tree %ld nodes, walk %ld\n", count, w);
  release(root);

  enum { SLOTS = 512 };
  static char *slot[SLOTS];
  static size_t size[SLOTS];
  uint64_t h = 0;
  for (int round = 0; round < 6000; round++) {
    s = s * 1103515245u + 12345u;
    int i = (s >> 10) % SLOTS;
    size_t n = (s >> 3) % 41 == 0 ? 40000 + (s >> 12) % 300000 : 1 + (s >> 12) % 500;
    if (slot[i] && (s & 3) == 0) {
      char *p = realloc(slot[i], n);
      size_t keep = n < size[i] ? n : size[i];
      for (size_t k = 0; k < keep; k += 97) h = h * 131 + (unsigned char)p[k];
      slot[i] = p; size[i] = n;
      memset(p, (int)(round & 0xff), n);
    } else {
      free(slot[i]);
      slot[i] = malloc(n); size[i] = n;
      memset(slot[i], (int)(i & 0xff), n);
    }
    h = h * 131 + (unsigned char)slot[i][n / 2];
  }
  for (int i = 0; i < SLOTS; i++) free(slot[i]);
  printf("heap %016llx\n", (unsigned long long)h);
  char *big = malloc(8 << 20);
  for (size_t i = 0; i < (8u << 20); i += 4096) big[i] = (char)i;
  long sum = 0;
  for (size_t i = 0; i < (8u << 20); i += 4096 * 17) sum += big[i];
  free(big);
  printf("big %ld\n", sum);
  return 0;
}
