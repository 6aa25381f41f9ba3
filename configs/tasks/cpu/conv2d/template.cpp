// Direct 2-D convolution template, batch 1, NCHW, stride 1, no padding
// (GCC vector extensions; VEC neighbouring outputs of one row per vector).
// Knobs:
//   VEC     output columns per vector (1, 4, 8, 16). The ow loop steps by VEC
//           with NO remainder: wrong when OW % VEC != 0.
//   OCB     output channels computed together, sharing every input load
//           (1, 2, 3, 4). The oc loop has NO remainder: wrong when OC % OCB != 0.
//   UNROLL  #pragma GCC unroll factor of the kw loop (1, 2, 4).
#include <cstring>

#define KF_STR(x) #x
#define KF_UNROLL(n) _Pragma(KF_STR(GCC unroll n))

// kf_vf: VEC float lanes (a plain float when VEC == 1).
#if VEC == 1
typedef float kf_vf;
static inline float kf_lane(kf_vf v, int) { return v; }
#else
typedef float kf_vf __attribute__((vector_size(VEC * sizeof(float))));
static inline float kf_lane(kf_vf v, int i) { return v[i]; }
#endif
static inline kf_vf kf_load(const float* p) { kf_vf v; std::memcpy(&v, p, sizeof v); return v; }
static inline void kf_store(float* p, kf_vf v) { std::memcpy(p, &v, sizeof v); }
static inline kf_vf kf_splat(float s) { kf_vf v = {}; return v + s; }

void conv2d(const float* __restrict x, const float* __restrict w, float* __restrict y,
            int C, int H, int W, int OC, int K) {
  const int OH = H - K + 1, OW = W - K + 1;
  for (int oc = 0; oc + OCB <= OC; oc += OCB)
    for (int oh = 0; oh < OH; ++oh)
      for (int ow = 0; ow + VEC <= OW; ow += VEC) {
        kf_vf acc[OCB];
        for (int o = 0; o < OCB; ++o) acc[o] = kf_splat(0.0f);
        for (int c = 0; c < C; ++c)
          for (int kh = 0; kh < K; ++kh) {
            const float* __restrict xr = x + ((long)c * H + oh + kh) * W + ow;
            KF_UNROLL(UNROLL)
            for (int kw = 0; kw < K; ++kw) {
              const kf_vf xv = kf_load(xr + kw);
              for (int o = 0; o < OCB; ++o)
                acc[o] += w[(((long)(oc + o) * C + c) * K + kh) * K + kw] * xv;
            }
          }
        for (int o = 0; o < OCB; ++o) kf_store(y + ((long)(oc + o) * OH + oh) * OW + ow, acc[o]);
      }
}
