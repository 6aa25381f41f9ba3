// variant: elementwise/vecext_sigmoid_unroll2
// techniques: simd_vectorization, fast_math_approximation, loop_unrolling, remainder_handling
// expect: correct
// mistake: none
// summary: Portable 8-lane vector-extension GELU in logistic form with a polynomial exp built from exponent bits, two vectors per iteration, scalar tail.
#include <cmath>
#include <cstring>
typedef float v8f __attribute__((vector_size(32)));
typedef int v8i __attribute__((vector_size(32)));
static inline v8f load8(const float* p) { v8f v; std::memcpy(&v, p, sizeof v); return v; }
static inline void store8(float* p, v8f v) { std::memcpy(p, &v, sizeof v); }
static inline v8f splat(float s) { return v8f{s, s, s, s, s, s, s, s}; }
// e^x on [-87, 88]; n rounded to nearest with the 1.5 * 2^23 shifter.
static inline v8f exp8(v8f x) {
  x = x < splat(-87.0f) ? splat(-87.0f) : x;
  x = x > splat(88.0f) ? splat(88.0f) : x;
  const v8f shifter = splat(12582912.0f);
  const v8f n = (x * splat(1.44269504f) + shifter) - shifter;
  v8f f = x - n * splat(0.693359375f);
  f = f + n * splat(2.12194440e-4f);
  v8f p = splat(1.9875691500e-4f);
  p = p * f + splat(1.3981999507e-3f);
  p = p * f + splat(8.3334519073e-3f);
  p = p * f + splat(4.1665795894e-2f);
  p = p * f + splat(1.6666665459e-1f);
  p = p * f + splat(5.0000001201e-1f);
  p = p * (f * f) + f + splat(1.0f);
  const v8i e = (__builtin_convertvector(n, v8i) + 127) << 23;
  v8f s;
  std::memcpy(&s, &e, sizeof s);
  return p * s;
}
static inline v8f gelu8(v8f v, v8f c0, v8f c1) {
  const v8f k = v * (c0 + c1 * (v * v));
  return v / (splat(1.0f) + exp8(k));
}
void gelu_tanh(const float* x, float* y, int n) {
  const float a = -2.0f * 0.7978845608f, b = -2.0f * 0.7978845608f * 0.044715f;
  const v8f c0 = splat(a), c1 = splat(b);
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    store8(y + i, gelu8(load8(x + i), c0, c1));
    store8(y + i + 8, gelu8(load8(x + i + 8), c0, c1));
  }
  if (i + 8 <= n) { store8(y + i, gelu8(load8(x + i), c0, c1)); i += 8; }
  for (; i < n; ++i) {
    const float v = x[i];
    y[i] = v / (1.0f + std::exp(v * (a + b * v * v)));
  }
}
