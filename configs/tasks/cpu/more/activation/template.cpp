// Activations template: relu, leaky_relu, sigmoid and tanh_act; a task calls one.
// Every setting is correct for every length (a scalar remainder loop follows the main loop).
// Knobs:
//   VEC      elements per step of the main loop (1, 4, 8, 16).
//   UNROLL   #pragma GCC unroll factor for the step loop (1, 2, 4).
//   EXP_IMPL sigmoid and tanh only: 0: std::exp / std::tanh (libm, scalar calls);
//            1: range reduction + degree-6 polynomial exp (about 2 ulp, vectorises),
//               tanh(x) = 1 - 2 / (1 + exp(2x)) with x clamped to [-9, 9].
#include <cmath>
#include <cstdint>
#include <cstring>

#ifndef EXP_IMPL
#define EXP_IMPL 0
#endif

#define KF_STR(x) #x
#define KF_UNROLL(n) _Pragma(KF_STR(GCC unroll n))

static inline float kf_exp(float x) {
#if EXP_IMPL == 0
  return std::exp(x);
#else
  x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  float t = x * 1.44269504088896341f;
  float n = (t + 12582912.0f) - 12582912.0f;  // round to nearest integer
  float f = x - n * 0.693359375f;             // Cody-Waite: ln2 = hi + lo
  f = f - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * f + 1.3981999507e-3f;
  p = p * f + 8.3334519073e-3f;
  p = p * f + 4.1665795894e-2f;
  p = p * f + 1.6666665459e-1f;
  p = p * f + 5.0000001201e-1f;
  p = p * (f * f) + f + 1.0f;
  int32_t e = ((int32_t)n + 127) << 23;
  float s;
  std::memcpy(&s, &e, sizeof s);
  return p * s;
#endif
}

struct kf_relu {
  float operator()(float v) const { return v > 0.0f ? v : 0.0f; }
};
struct kf_leaky_relu {
  float operator()(float v) const { return v > 0.0f ? v : 0.01f * v; }
};
struct kf_sigmoid {
  float operator()(float v) const { return 1.0f / (1.0f + kf_exp(-v)); }
};
struct kf_tanh {
  float operator()(float v) const {
#if EXP_IMPL == 0
    return std::tanh(v);
#else
    float c = v < -9.0f ? -9.0f : (v > 9.0f ? 9.0f : v);
    return 1.0f - 2.0f / (1.0f + kf_exp(2.0f * c));
#endif
  }
};

template <typename F>
static inline void kf_map(const float* __restrict x, float* __restrict y, int n, F f) {
  int i = 0;
  KF_UNROLL(UNROLL)
  for (; i + VEC <= n; i += VEC) {
    KF_UNROLL(VEC)
    for (int v = 0; v < VEC; ++v) y[i + v] = f(x[i + v]);
  }
  for (; i < n; ++i) y[i] = f(x[i]);
}

void relu(const float* x, float* y, int n) { kf_map(x, y, n, kf_relu{}); }
void leaky_relu(const float* x, float* y, int n) { kf_map(x, y, n, kf_leaky_relu{}); }
void sigmoid(const float* x, float* y, int n) { kf_map(x, y, n, kf_sigmoid{}); }
void tanh_act(const float* x, float* y, int n) { kf_map(x, y, n, kf_tanh{}); }
