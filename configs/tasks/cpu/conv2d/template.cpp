// Direct 2-D convolution template, batch 1, NCHW, stride 1, no padding
// (GCC vector extensions; VEC neighbouring outputs of one row per vector).
// Knobs:
//   VEC     output columns per vector (1, 4, 8, 16). The ow loop steps by VEC.
//   OCB     output channels computed together, sharing every input load
//           (1, 2, 3, 4).
//   UNROLL  #pragma GCC unroll factor of the kw loop (1, 2, 4).
//   TAIL    0: NO remainders: wrong when OW % VEC != 0 or OC % OCB != 0;
//           1: a row's last OW % VEC columns by one more vector that ends at
//              the row's end (it overlaps the one before and writes the same
//              values there; scalar when OW < VEC), and the last OC % OCB
//              channels one at a time.
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

// kf_vf: KF_V float lanes (a plain float when KF_V == 1).
#if KF_V == 1
typedef float kf_vf;
static inline float kf_lane(kf_vf v, int) { return v; }
#else
typedef float kf_vf __attribute__((vector_size(KF_V * sizeof(float))));
static inline float kf_lane(kf_vf v, int i) { return v[i]; }
#endif
static inline kf_vf kf_load(const float* p) { kf_vf v; std::memcpy(&v, p, sizeof v); return v; }
static inline void kf_store(float* p, kf_vf v) { std::memcpy(p, &v, sizeof v); }
static inline kf_vf kf_splat(float s) { kf_vf v = {}; return v + s; }

// Outputs [ow, ow + VEC) of row oh of the NB channels from oc.
template <int NB>
static inline void kf_block(const float* __restrict x, const float* __restrict w, float* __restrict y, int C,
                            int H, int W, int K, int OH, int OW, int oc, int oh, int ow) {
  kf_vf acc[NB][KF_NV];
  for (int o = 0; o < NB; ++o)
    for (int v = 0; v < KF_NV; ++v) acc[o][v] = kf_splat(0.0f);
  for (int c = 0; c < C; ++c)
    for (int kh = 0; kh < K; ++kh) {
      const float* __restrict xr = x + ((long)c * H + oh + kh) * W + ow;
      KF_UNROLL(UNROLL)
      for (int kw = 0; kw < K; ++kw) {
        kf_vf xv[KF_NV];
        for (int v = 0; v < KF_NV; ++v) xv[v] = kf_load(xr + kw + v * KF_V);
        for (int o = 0; o < NB; ++o) {
          const float wv = w[(((long)(oc + o) * C + c) * K + kh) * K + kw];
          for (int v = 0; v < KF_NV; ++v) acc[o][v] += wv * xv[v];
        }
      }
    }
  for (int o = 0; o < NB; ++o)
    for (int v = 0; v < KF_NV; ++v) kf_store(y + ((long)(oc + o) * OH + oh) * OW + ow + v * KF_V, acc[o][v]);
}

// Rows of the NB channels from oc.
template <int NB>
static inline void kf_channels(const float* __restrict x, const float* __restrict w, float* __restrict y, int C,
                               int H, int W, int K, int OH, int OW, int oc) {
  for (int oh = 0; oh < OH; ++oh) {
    int ow = 0;
    for (; ow + VEC <= OW; ow += VEC) kf_block<NB>(x, w, y, C, H, W, K, OH, OW, oc, oh, ow);
#if TAIL
    if (ow < OW && OW >= VEC) {
      kf_block<NB>(x, w, y, C, H, W, K, OH, OW, oc, oh, OW - VEC);
    } else {
      for (; ow < OW; ++ow)
        for (int o = 0; o < NB; ++o) {
          float s = 0.0f;
          for (int c = 0; c < C; ++c)
            for (int kh = 0; kh < K; ++kh)
              for (int kw = 0; kw < K; ++kw)
                s += x[((long)c * H + oh + kh) * W + ow + kw] * w[(((long)(oc + o) * C + c) * K + kh) * K + kw];
          y[((long)(oc + o) * OH + oh) * OW + ow] = s;
        }
    }
#endif
  }
}

void conv2d(const float* __restrict x, const float* __restrict w, float* __restrict y,
            int C, int H, int W, int OC, int K) {
  const int OH = H - K + 1, OW = W - K + 1;
  int oc = 0;
  for (; oc + OCB <= OC; oc += OCB) kf_channels<OCB>(x, w, y, C, H, W, K, OH, OW, oc);
#if TAIL
  for (; oc < OC; ++oc) kf_channels<1>(x, w, y, C, H, W, K, OH, OW, oc);
#endif
}
