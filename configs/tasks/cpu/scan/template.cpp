// Row-wise inclusive prefix sum template (GCC vector extensions). The serial
// add chain of one running sum is the bottleneck: scan VEC elements at once in
// registers (log2(VEC) shift-and-add steps plus a broadcast carry) and
// interleave several rows so their carry chains overlap.
// Knobs:
//   VEC     elements scanned per vector step (1, 4, 8, 16). The column loop
//           steps by VEC with NO remainder: elements past the last full vector
//           are never written, wrong when cols % VEC != 0.
//   ROWS    rows scanned together, interleaved (1, 2, 3, 4). The row loop has
//           NO remainder: wrong when rows % ROWS != 0.
//   UNROLL  #pragma GCC unroll factor of the column loop (1, 2).
#include <cstdint>
#include <cstring>

#define KF_STR(x) #x
#define KF_UNROLL(n) _Pragma(KF_STR(GCC unroll n))

#if VEC == 1
void cumsum_rows(const float* __restrict x, float* __restrict y, int rows, int cols) {
  for (int r0 = 0; r0 + ROWS <= rows; r0 += ROWS) {
    float acc[ROWS];
    for (int r = 0; r < ROWS; ++r) acc[r] = 0.0f;
    KF_UNROLL(UNROLL)
    for (int j = 0; j < cols; ++j)
      for (int r = 0; r < ROWS; ++r) {
        const long k = (long)(r0 + r) * cols + j;
        acc[r] += x[k];
        y[k] = acc[r];
      }
  }
}
#else
typedef float kf_vf __attribute__((vector_size(VEC * sizeof(float))));
typedef int32_t kf_vi __attribute__((vector_size(VEC * sizeof(float))));
static inline kf_vf kf_load(const float* p) { kf_vf v; std::memcpy(&v, p, sizeof v); return v; }
static inline void kf_store(float* p, kf_vf v) { std::memcpy(p, &v, sizeof v); }

// Lane i of the shifted vector is lane i - k of v, or 0 for i < k.
#define KF_M(i, k) ((i) >= (k) ? (i) - (k) : VEC)
#if VEC == 4
#define KF_SHIFT(k) kf_vi{KF_M(0, k), KF_M(1, k), KF_M(2, k), KF_M(3, k)}
#elif VEC == 8
#define KF_SHIFT(k) kf_vi{KF_M(0, k), KF_M(1, k), KF_M(2, k), KF_M(3, k), \
                          KF_M(4, k), KF_M(5, k), KF_M(6, k), KF_M(7, k)}
#else
#define KF_SHIFT(k) kf_vi{KF_M(0, k), KF_M(1, k), KF_M(2, k), KF_M(3, k), \
                          KF_M(4, k), KF_M(5, k), KF_M(6, k), KF_M(7, k), \
                          KF_M(8, k), KF_M(9, k), KF_M(10, k), KF_M(11, k), \
                          KF_M(12, k), KF_M(13, k), KF_M(14, k), KF_M(15, k)}
#endif

// In-register inclusive scan of one vector.
static inline kf_vf kf_scan(kf_vf v) {
  const kf_vf z = {};
  v += __builtin_shuffle(v, z, KF_SHIFT(1));
  v += __builtin_shuffle(v, z, KF_SHIFT(2));
#if VEC >= 8
  v += __builtin_shuffle(v, z, KF_SHIFT(4));
#endif
#if VEC >= 16
  v += __builtin_shuffle(v, z, KF_SHIFT(8));
#endif
  return v;
}
// All lanes = last lane of v.
static inline kf_vf kf_last(kf_vf v) {
  const kf_vi m = {} ;
  return __builtin_shuffle(v, m + (VEC - 1));
}

void cumsum_rows(const float* __restrict x, float* __restrict y, int rows, int cols) {
  for (int r0 = 0; r0 + ROWS <= rows; r0 += ROWS) {
    kf_vf carry[ROWS];
    for (int r = 0; r < ROWS; ++r) carry[r] = kf_vf{};
    KF_UNROLL(UNROLL)
    for (int j = 0; j + VEC <= cols; j += VEC)
      for (int r = 0; r < ROWS; ++r) {
        const long k = (long)(r0 + r) * cols + j;
        kf_vf v = kf_load(x + k);
        v = kf_scan(v) + carry[r];
        kf_store(y + k, v);
        carry[r] = kf_last(v);
      }
  }
}
#endif
