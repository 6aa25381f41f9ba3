// Losses template: mse_loss and cross_entropy (see reference.cpp for the definitions); a task
// calls one. Float accumulators in VEC lanes x ACC vectors; every setting is correct for every
// shape (a scalar remainder loop finishes each pass).
// Knobs:
//   VEC        lanes per vector (1, 4, 8, 16).
//   ACC        independent accumulator vectors (1, 2, 4): breaks the dependency chain and
//              keeps each partial sum short.
//   APPROX_EXP cross_entropy only: 0: std::exp per lane; 1: range reduction + degree-6
//              polynomial (about 2 ulp, vectorises).
#include <cmath>
#include <cstdint>
#include <cstring>

#ifndef APPROX_EXP
#define APPROX_EXP 0
#endif

// kf_vf: VEC float lanes (a plain float when VEC == 1).
#if VEC == 1
typedef float kf_vf;
static inline float kf_lane(kf_vf v, int) { return v; }
#else
typedef float kf_vf __attribute__((vector_size(VEC * sizeof(float))));
static inline float kf_lane(kf_vf v, int i) { return v[i]; }
#endif
static inline kf_vf kf_load(const float* p) { kf_vf v; std::memcpy(&v, p, sizeof v); return v; }
static inline kf_vf kf_splat(float s) { kf_vf v = {}; return v + s; }

static inline float kf_hsum(const kf_vf* v) {
  float s = 0.0f;
  for (int a = 0; a < ACC; ++a)
    for (int i = 0; i < VEC; ++i) s += kf_lane(v[a], i);
  return s;
}

static inline kf_vf kf_exp(kf_vf x) {
#if APPROX_EXP == 0
  float* l = reinterpret_cast<float*>(&x);
  for (int i = 0; i < VEC; ++i) l[i] = std::exp(l[i]);
  return x;
#else
  const kf_vf lo = kf_splat(-87.0f);
  x = x < lo ? lo : x;  // inputs here are <= 0 (x - max)
  kf_vf t = x * 1.44269504088896341f;
  kf_vf n = (t + 12582912.0f) - 12582912.0f;  // round to nearest integer
  kf_vf f = x - n * 0.693359375f;             // Cody-Waite: ln2 = hi + lo
  f = f - n * -2.12194440e-4f;
  kf_vf p = f * 1.9875691500e-4f + 1.3981999507e-3f;
  p = p * f + 8.3334519073e-3f;
  p = p * f + 4.1665795894e-2f;
  p = p * f + 1.6666665459e-1f;
  p = p * f + 5.0000001201e-1f;
  p = p * (f * f) + f + 1.0f;
#if VEC == 1
  int32_t e = ((int32_t)n + 127) << 23;
  float sc;
  std::memcpy(&sc, &e, sizeof sc);
  return p * sc;
#else
  typedef int32_t kf_vi __attribute__((vector_size(VEC * sizeof(float))));
  kf_vi e = (__builtin_convertvector(n, kf_vi) + 127) << 23;
  return p * (kf_vf)e;
#endif
#endif
}

void mse_loss(const float* __restrict pred, const float* __restrict target, float* __restrict out, int n) {
  constexpr int W = VEC * ACC;
  const int main_n = n - n % W;
  kf_vf acc[ACC];
  for (int a = 0; a < ACC; ++a) acc[a] = kf_splat(0.0f);
  for (int i = 0; i < main_n; i += W)
    for (int a = 0; a < ACC; ++a) {
      kf_vf d = kf_load(pred + i + a * VEC) - kf_load(target + i + a * VEC);
      acc[a] += d * d;
    }
  float s = kf_hsum(acc);
  for (int i = main_n; i < n; ++i) {
    float d = pred[i] - target[i];
    s += d * d;
  }
  out[0] = s / (float)n;
}

void cross_entropy(const float* __restrict logits, const float* __restrict target, float* __restrict out, int rows,
                   int cols) {
  constexpr int W = VEC * ACC;
  const int main_cols = cols - cols % W;
  double total = 0.0;  // one term per row: rows are few next to cols
  for (int r = 0; r < rows; ++r) {
    const float* __restrict xr = logits + (long)r * cols;
    float m = -INFINITY;
    if (main_cols > 0) {
      kf_vf mv[ACC];
      for (int a = 0; a < ACC; ++a) mv[a] = kf_splat(-INFINITY);
      for (int j = 0; j < main_cols; j += W)
        for (int a = 0; a < ACC; ++a) {
          kf_vf v = kf_load(xr + j + a * VEC);
          mv[a] = v > mv[a] ? v : mv[a];
        }
      for (int a = 0; a < ACC; ++a)
        for (int i = 0; i < VEC; ++i) m = kf_lane(mv[a], i) > m ? kf_lane(mv[a], i) : m;
    }
    for (int j = main_cols; j < cols; ++j) m = xr[j] > m ? xr[j] : m;
    kf_vf sv[ACC];
    for (int a = 0; a < ACC; ++a) sv[a] = kf_splat(0.0f);
    for (int j = 0; j < main_cols; j += W)
      for (int a = 0; a < ACC; ++a) sv[a] += kf_exp(kf_load(xr + j + a * VEC) - m);
    float s = kf_hsum(sv);
    for (int j = main_cols; j < cols; ++j) s += std::exp(xr[j] - m);
    int c = (int)(target[r] * (float)cols);
    c = c < cols - 1 ? c : cols - 1;
    total += (double)(std::log(s) + m - xr[c]);
  }
  out[0] = (float)(total / rows);
}
