// Loops the compiler vectorizes at -O3 (AdvSIMD integer and FP lanes, reductions,
// widening, saturating-like clamps, shuffles) plus a small matrix multiply.
#include <stdint.h>
#include <stdio.h>

#define N 1024
static int32_t a[N], b[N], c[N];
static int16_t s16[N];
static uint8_t u8[N];
static float fa[N], fb[N], fc[N];
static double m1[32][32], m2[32][32], m3[32][32];

int main(void) {
  for (int i = 0; i < N; i++) {
    a[i] = i * 37 - 5000; b[i] = (i * 91) % 173 - 80; s16[i] = (int16_t)(i * 301);
    u8[i] = (uint8_t)(i * 13); fa[i] = (float)i * 0.25f - 30.0f; fb[i] = 1.0f / (float)(i + 1);
  }
  int64_t dot = 0; int32_t mx = INT32_MIN, mn = INT32_MAX; uint32_t bytesum = 0;
  for (int i = 0; i < N; i++) c[i] = a[i] * b[i] + (a[i] >> 3) - (b[i] & 7);
  for (int i = 0; i < N; i++) dot += (int64_t)a[i] * b[i];
  for (int i = 0; i < N; i++) { mx = c[i] > mx ? c[i] : mx; mn = c[i] < mn ? c[i] : mn; }
  for (int i = 0; i < N; i++) bytesum += u8[i] * 3u + (u8[i] >> 2);
  int32_t wide = 0;
  for (int i = 0; i < N; i++) wide += s16[i] * s16[(i + 1) % N] >> 4;
  for (int i = 0; i < N; i++) { int v = c[i] / 64; u8[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }
  uint32_t clamp = 0;
  for (int i = 0; i < N; i++) clamp = clamp * 3 + u8[i];
  float fsum = 0;
  for (int i = 0; i < N; i++) { fc[i] = fa[i] * fb[i] + fa[i]; fsum += fc[i]; }
  for (int i = 0; i < 32; i++) for (int j = 0; j < 32; j++) { m1[i][j] = i + j * 0.5; m2[i][j] = (i - j) * 0.25; }
  for (int i = 0; i < 32; i++) for (int j = 0; j < 32; j++) { double t = 0; for (int k = 0; k < 32; k++) t += m1[i][k] * m2[k][j]; m3[i][j] = t; }
  double trace = 0; for (int i = 0; i < 32; i++) trace += m3[i][i] * (i + 1);
  printf("dot %lld max %d min %d bytes %u wide %d clamp %u\n", (long long)dot, mx, mn, bytesum, wide, clamp);
  printf("fsum %a trace %a c[100] %d fc[7] %a\n", (double)fsum, trace, c[100], (double)fc[7]);
  return 0;
}
