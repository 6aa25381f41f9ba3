// GELU (tanh form) template (GCC vector extensions, VEC float lanes per vector).
// Knobs:
//   VEC       elements per step (1, 4, 8, 16), one vector of VEC lanes.
//   UNROLL    #pragma GCC unroll factor for the step loop (1, 2, 4).
//   TAIL      0: NO remainder loop: wrong when n % VEC != 0;
//             1: the last n % VEC elements one by one.
//   TANH_IMPL 0: std::tanh (libm, scalar calls);
//             1: 0.5x(1+tanh(u)) == x / (1 + exp(-2u)) with an accurate
//                polynomial exp (about 2 ulp);
//             2: same identity with a degree-3 exp polynomial (rel. error ~4e-4);
//             3: clamped Pade tanh u(27+u^2)/(27+9u^2) (error up to ~2%);
//             4: clamped rational tanh, a degree-13 odd over a degree-6 even
//                polynomial (a few ulp of tanh, the form Eigen's vectorised
//                tanh uses; 1 + tanh(u) cancels for x below about -5).
#include <cmath>
#include <cstdint>
#include <cstring>

#define KF_STR(x) #x
#define KF_UNROLL(n) _Pragma(KF_STR(GCC unroll n))

// The machine's vector width, KF_LANES floats: 16 where the compiler targets AVX-512, 8 with AVX,
// else 4. A VEC wider than that is KF_NV = VEC / KF_LANES vectors of KF_V = KF_LANES lanes: the
// same VEC elements per step and the same remainders, without vectors the machine lacks (which
// GCC lowers badly).
#if defined(__AVX512F__)
#define KF_LANES 16
#elif defined(__AVX__)
#define KF_LANES 8
#else
#define KF_LANES 4
#endif
#if VEC > KF_LANES
#define KF_V KF_LANES
#else
#define KF_V VEC
#endif
#define KF_NV (VEC / KF_V)

// kf_vf: KF_V float lanes (a plain float when KF_V == 1). The approximations are templates over
// V = kf_vf or float (the remainder), with these helpers for both.
static inline float kf_from_bits(int32_t i) { float f; std::memcpy(&f, &i, sizeof f); return f; }
static inline int32_t kf_to_int(float v) { return (int32_t)v; }
#if KF_V == 1
typedef float kf_vf;
#else
typedef float kf_vf __attribute__((vector_size(KF_V * sizeof(float))));
typedef int32_t kf_vi __attribute__((vector_size(KF_V * sizeof(float))));
static inline kf_vf kf_from_bits(kf_vi i) { return (kf_vf)i; }
static inline kf_vi kf_to_int(kf_vf v) { return __builtin_convertvector(v, kf_vi); }
#endif
static inline kf_vf kf_load(const float* p) { kf_vf v; std::memcpy(&v, p, sizeof v); return v; }
static inline void kf_store(float* p, kf_vf v) { std::memcpy(p, &v, sizeof v); }
template <class V>
static inline V kf_splat(float s) { return V{} + s; }
template <class V>
static inline V kf_min(V a, V b) { return a < b ? a : b; }
template <class V>
static inline V kf_max(V a, V b) { return a > b ? a : b; }

template <class V>
static inline V kf_exp(V x) {
  x = kf_max(kf_min(x, kf_splat<V>(88.0f)), kf_splat<V>(-87.0f));
  V t = x * 1.44269504088896341f;
  V n = (t + 12582912.0f) - 12582912.0f;  // round to nearest integer
  V f = x - n * 0.693359375f;
  f = f - n * -2.12194440e-4f;
#if TANH_IMPL == 2
  V p = ((0.16666667f * f + 0.5f) * f + 1.0f) * f + 1.0f;
#else
  V p = kf_splat<V>(1.9875691500e-4f);
  p = p * f + 1.3981999507e-3f;
  p = p * f + 8.3334519073e-3f;
  p = p * f + 4.1665795894e-2f;
  p = p * f + 1.6666665459e-1f;
  p = p * f + 5.0000001201e-1f;
  p = p * (f * f) + f + 1.0f;
#endif
  return p * kf_from_bits((kf_to_int(n) + 127) << 23);
}

template <class V>
static inline V kf_tanh_rational(V u) {
  const V c = kf_max(kf_min(u, kf_splat<V>(7.90531110763549805f)), kf_splat<V>(-7.90531110763549805f));
  const V c2 = c * c;
  V p = c2 * -2.76076847742355e-16f + 2.00018790482477e-13f;
  p = p * c2 + -8.60467152213735e-11f;
  p = p * c2 + 5.12229709037114e-08f;
  p = p * c2 + 1.48572235717979e-05f;
  p = p * c2 + 6.37261928875436e-04f;
  p = p * c2 + 4.89352455891786e-03f;
  p = p * c;
  V q = c2 * 1.19825839466702e-06f + 1.18534705686654e-04f;
  q = q * c2 + 2.26843463243900e-03f;
  q = q * c2 + 4.89352518554385e-03f;
  return p / q;  // tanh(u) ~ u near 0 as well: p/q -> alpha_1/beta_0 * u
}

// GELU of VEC lanes (V = kf_vf) or of one float (V = float: the remainder).
template <class V>
static inline V kf_gelu(V v) {
  V u = 0.7978845608f * (v + 0.044715f * v * v * v);
#if TANH_IMPL == 0
  if constexpr (sizeof(V) == sizeof(float)) {
    return 0.5f * v * (1.0f + std::tanh(u));
  } else {
    for (int i = 0; i < KF_V; ++i) u[i] = std::tanh(u[i]);
    return 0.5f * v * (1.0f + u);
  }
#elif TANH_IMPL == 3
  V c = kf_max(kf_min(u, kf_splat<V>(3.0f)), kf_splat<V>(-3.0f));
  V th = c * (27.0f + c * c) / (27.0f + 9.0f * c * c);
  return 0.5f * v * (1.0f + th);
#elif TANH_IMPL == 4
  return 0.5f * v * (1.0f + kf_tanh_rational(u));
#else
  return v / (1.0f + kf_exp(-2.0f * u));
#endif
}

void gelu_tanh(const float* __restrict x, float* __restrict y, int n) {
  int i = 0;
  KF_UNROLL(UNROLL)
  for (; i + VEC <= n; i += VEC)
    for (int s = 0; s < KF_NV; ++s) kf_store(y + i + s * KF_V, kf_gelu(kf_load(x + i + s * KF_V)));
#if TAIL
  for (; i < n; ++i) y[i] = kf_gelu(x[i]);
#endif
}
