// Floating-point kernels as compiled C code runs them: an n-body step (add, sub, mul,
// div, sqrt), a Mandelbrot escape count (compares feeding branches), a Horner
// polynomial, conversions between integers, floats and doubles, and a single-precision
// dot product. The step count is an argument (default 200) so that the benchmark can
// run it longer; every result is printed exactly (%a).
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define N 5

static double px[N], py[N], pz[N], vx[N], vy[N], vz[N], mass[N];

static void nbody_step(double dt) {
  for (int i = 0; i < N; i++)
    for (int j = i + 1; j < N; j++) {
      double dx = px[i] - px[j], dy = py[i] - py[j], dz = pz[i] - pz[j];
      double d2 = dx * dx + dy * dy + dz * dz;
      double mag = dt / (d2 * sqrt(d2));
      vx[i] -= dx * mass[j] * mag; vy[i] -= dy * mass[j] * mag; vz[i] -= dz * mass[j] * mag;
      vx[j] += dx * mass[i] * mag; vy[j] += dy * mass[i] * mag; vz[j] += dz * mass[i] * mag;
    }
  for (int i = 0; i < N; i++) { px[i] += dt * vx[i]; py[i] += dt * vy[i]; pz[i] += dt * vz[i]; }
}

static int mandel(double cr, double ci) {
  double zr = 0, zi = 0;
  int k = 0;
  while (k < 200 && zr * zr + zi * zi <= 4.0) {
    double t = zr * zr - zi * zi + cr;
    zi = 2 * zr * zi + ci;
    zr = t;
    k++;
  }
  return k;
}

int main(int argc, char **argv) {
  int steps = argc > 1 ? atoi(argv[1]) : 200;
  for (int i = 0; i < N; i++) {
    px[i] = i * 1.25 - 2; py[i] = (i % 3) * 0.75; pz[i] = 0.1 * i * i;
    vx[i] = 0.01 * (N - i); vy[i] = -0.02 * i; vz[i] = 0.005; mass[i] = 1.0 + i / 3.0;
  }
  long escapes = 0;
  double poly = 0;
  float dot = 0;
  long ints = 0;
  for (int s = 0; s < steps; s++) {
    nbody_step(0.01);
    for (int y = 0; y < 4; y++)
      escapes += mandel(-2.0 + (s % 64) / 21.0, -1.2 + y * 0.6);
    double x = s / (double)steps;
    poly += ((((0.5 * x - 1.25) * x + 2.0) * x - 0.75) * x + 0.125) / (1.0 + x);
    float a = (float)s * 0.001f, b = (float)(steps - s) / 7.0f;
    dot += a * b - (float)poly / 1024.0f;
    ints += (long)(poly * 1000.0) ^ (int)(dot * 3.0f);
  }
  printf("nbody %a %a %a\n", px[0], vy[2], pz[4]);
  printf("mandel %ld poly %a dot %a ints %ld\n", escapes, poly, (double)dot, ints);
  return 0;
}
