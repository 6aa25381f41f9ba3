// GELU (tanh form) template.
// Knobs:
//   VEC       elements per step (1, 4, 8, 16); the loop steps by VEC with NO
//             remainder loop: wrong when n % VEC != 0.
//   UNROLL    #pragma GCC unroll factor for the step loop (1, 2, 4).
//   TANH_IMPL 0: std::tanh (libm, scalar calls);
//             1: 0.5x(1+tanh(u)) == x / (1 + exp(-2u)) with an accurate
//                polynomial exp (about 2 ulp, vectorises);
//             2: same identity with a degree-3 exp polynomial (rel. error ~4e-4);
//             3: clamped Pade tanh u(27+u^2)/(27+9u^2) (error up to ~2%).
#include <cmath>
#include <cstdint>
#include <cstring>

#define KF_STR(x) #x
#define KF_UNROLL(n) _Pragma(KF_STR(GCC unroll n))

static inline float kf_exp(float x) {
  x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  float t = x * 1.44269504088896341f;
  float n = (t + 12582912.0f) - 12582912.0f;  // round to nearest integer
  float f = x - n * 0.693359375f;
  f = f - n * -2.12194440e-4f;
#if TANH_IMPL == 2
  float p = ((0.16666667f * f + 0.5f) * f + 1.0f) * f + 1.0f;
#else
  float p = 1.9875691500e-4f;
  p = p * f + 1.3981999507e-3f;
  p = p * f + 8.3334519073e-3f;
  p = p * f + 4.1665795894e-2f;
  p = p * f + 1.6666665459e-1f;
  p = p * f + 5.0000001201e-1f;
  p = p * (f * f) + f + 1.0f;
#endif
  int32_t e = ((int32_t)n + 127) << 23;
  float s;
  std::memcpy(&s, &e, sizeof s);
  return p * s;
}

static inline float kf_gelu(float v) {
  float u = 0.7978845608f * (v + 0.044715f * v * v * v);
#if TANH_IMPL == 0
  return 0.5f * v * (1.0f + std::tanh(u));
#elif TANH_IMPL == 3
  float c = u < -3.0f ? -3.0f : (u > 3.0f ? 3.0f : u);
  float th = c * (27.0f + c * c) / (27.0f + 9.0f * c * c);
  return 0.5f * v * (1.0f + th);
#else
  return v / (1.0f + kf_exp(-2.0f * u));
#endif
}

void gelu_tanh(const float* __restrict x, float* __restrict y, int n) {
  KF_UNROLL(UNROLL)
  for (int i = 0; i + VEC <= n; i += VEC) {
    KF_UNROLL(VEC)
    for (int v = 0; v < VEC; ++v) y[i + v] = kf_gelu(x[i + v]);
  }
}
