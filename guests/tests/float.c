// Floating point: arithmetic, conversions, rounding, special values and libm, printed
// exactly with %a and %.17g.
#include <fenv.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile double vd[] = {0.0, -0.0, 1.0, -1.5, 3.141592653589793, 1e-310, 2.5, -2.5, 1e300, 0.1, 123456789.987654321, 4503599627370497.0};
static volatile float vf[] = {0.0f, 1.0f, -3.25f, 1e-40f, 0.333333343f, 16777217.0f, 2.5f, 1e30f};

int main(void) {
  const int nd = sizeof vd / sizeof vd[0], nf = sizeof vf / sizeof vf[0];
  for (int i = 0; i < nd; i++) {
    double a = vd[i], b = vd[(i + 3) % nd];
    printf("%a %a %a %a %.17g\n", a + b, a - b, a * b, b != 0 ? a / b : 0.0, sqrt(fabs(a)));
    printf(" fma=%a min=%a max=%a cvt=%lld %llu %d\n", fma(a, b, 0.5), fmin(a, b), fmax(a, b),
           (long long)a, (unsigned long long)(a < 0 ? 0 : a < 1e19 ? a : 0), (int)(float)a);
    printf(" rnd=%a %a %a %a %a\n", round(a), floor(a), ceil(a), trunc(a), nearbyint(a));
    printf(" f=%a %.9g\n", (float)a, (double)(float)a);
  }
  for (int i = 0; i < nf; i++) {
    float a = vf[i], b = vf[(i + 1) % nf];
    printf("f %a %a %a %a %a %d\n", (double)(a + b), (double)(a * b), (double)(b != 0 ? a / b : 0),
           (double)sqrtf(fabsf(a)), (double)fmaf(a, b, 1.0f), (int)lrintf(a));
  }
  static const int modes[] = {FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};
  for (int m = 0; m < 4; m++) {
    fesetround(modes[m]);
    volatile double x = 1.0, y = 3.0;
    printf("mode %d: %a %a %ld %a\n", m, x / y, -x / y, lrint(2.5), rint(-0.5));
  }
  fesetround(FE_TONEAREST);
  feclearexcept(FE_ALL_EXCEPT);
  volatile double z = 0.0;
  volatile double inf = 1.0 / z;
  printf("exc div=%d ", fetestexcept(FE_DIVBYZERO) != 0);
  volatile double nn = inf - inf;
  printf("inv=%d inf=%g nan=%d %a\n", fetestexcept(FE_INVALID) != 0, inf, isnan(nn), copysign(1.0, -0.0));

  double s = 0;
  for (int i = 1; i <= 200; i++) {
    double x = i * 0.173;
    s += sin(x) * cos(x / 3) + exp(-x / 50) * log1p(x) + pow(x, 0.37) + atan2(x, 7.0) + tanh(x / 40) + cbrt(x);
  }
  printf("libm %.17g %a\n", s, s);
  double m = 1;
  for (int i = 0; i < 1000; i++) m = m * 1.0001 + 1e-9 / (i + 1);
  printf("acc %.17g\n", m);
  char buf[64];
  snprintf(buf, sizeof buf, "%.3e|%10.4f|%-8.2g|%g", 12345.6789, -3.14159265, 0.000123, 1e100);
  printf("%s\n", buf);
  double parsed; sscanf("6.02214076e23", "%lf", &parsed);
  printf("parse %a %.17g\n", parsed, strtod("0x1.8p-3", NULL));
  return 0;
}
