// GEMM template: C[M][N] = A[M][K] * B[K][N], row-major.
// The vector width is the machine's: KF_LANES floats per vector, 16 where the
// compiler targets AVX-512 (__AVX512F__), 8 with AVX (__AVX__), else 4.
// Knobs:
//   KERNEL   0: i-j-k dot products (strided B, like the reference);
//            1: i-k-j row updates (C row += A[i][k] * B row; contiguous);
//            2: register tile of MR x NV vectors of C held for the whole k
//               loop, B read in place (row stride N);
//            3: the same tile over packed B: each panel of NV vectors' columns
//               is copied, 256 rows (of k) at a time, into a contiguous
//               zero-padded buffer on the stack that every row tile streams.
//            Every kernel is correct at any shape: rows past the last full MR
//            tile take a tile of fewer rows, and columns past the last full
//            panel take narrower tiles (KERNEL 2: one vector at a time, then a
//            scalar loop; KERNEL 3: the zero-padded panel, stored in part).
//   MR       rows per register tile (2, 3, 4, 6); KERNELs 2 and 3.
//   NV       vectors per tile row (1, 2, 3, 4), NV*KF_LANES columns; KERNELs 2
//            and 3. MR*NV accumulators: AVX2 has 16 vector registers,
//            AVX-512 32, so MR*NV above ~12 spills on AVX2.
//   UNROLL_K #pragma GCC unroll factor of the k loop (1, 4; the task files list 4
//            only: 1 was no faster at the best tiles and slower at most others).
#include <cstring>

#define KF_STR(x) #x
#define KF_UNROLL(n) _Pragma(KF_STR(GCC unroll n))

#if defined(__AVX512F__)
#define KF_LANES 16
#elif defined(__AVX__)
#define KF_LANES 8
#else
#define KF_LANES 4
#endif

typedef float kf_vf __attribute__((vector_size(KF_LANES * sizeof(float))));
static inline kf_vf kf_load(const float* p) { kf_vf v; std::memcpy(&v, p, sizeof v); return v; }
static inline void kf_store(float* p, kf_vf v) { std::memcpy(p, &v, sizeof v); }

#if KERNEL >= 2
// C[0..R) x [0..w) (=, or += when `add`) A[0..R) x [0..K) * B[0..K) x [0..V*KF_LANES), row strides
// lda, ldb, ldc; w is V*KF_LANES but in the last panel of KERNEL 3, whose B columns past w are zero.
template <int R, int V>
static inline void kf_tile(const float* __restrict A, long lda, const float* __restrict B, long ldb,
                           float* __restrict C, long ldc, int K, int w, bool add) {
  constexpr int NR = V * KF_LANES;
  // The r and v loops are unrolled completely, so that the accumulators stay in registers.
  kf_vf acc[R][V];
  KF_UNROLL(8)
  for (int r = 0; r < R; ++r)
    KF_UNROLL(4)
    for (int v = 0; v < V; ++v) acc[r][v] = kf_vf{};
  KF_UNROLL(UNROLL_K)
  for (int k = 0; k < K; ++k) {
    kf_vf b[V];
    KF_UNROLL(4)
    for (int v = 0; v < V; ++v) b[v] = kf_load(B + k * ldb + KF_LANES * v);
    KF_UNROLL(8)
    for (int r = 0; r < R; ++r) {
      const float a = A[r * lda + k];
      KF_UNROLL(4)
      for (int v = 0; v < V; ++v) acc[r][v] += a * b[v];
    }
  }
  if (w == NR) {
    KF_UNROLL(8)
    for (int r = 0; r < R; ++r)
      KF_UNROLL(4)
      for (int v = 0; v < V; ++v) {
        float* c = C + r * ldc + KF_LANES * v;
        kf_store(c, add ? kf_load(c) + acc[r][v] : acc[r][v]);
      }
  } else {  // a partial panel: its first w columns
    for (int r = 0; r < R; ++r) {
      float t[NR];
      for (int v = 0; v < V; ++v) kf_store(t + KF_LANES * v, acc[r][v]);
      float* c = C + r * ldc;
      for (int l = 0; l < w; ++l) c[l] = add ? c[l] + t[l] : t[l];
    }
  }
}

// Rows [0..M) of one column block of V vectors: full MR tiles, then one tile of M % MR rows.
template <int V, int R = MR - 1>
static inline void kf_rest(int h, const float* A, long lda, const float* B, long ldb, float* C, long ldc, int K,
                           int w, bool add) {
  if constexpr (R > 0) {
    if (h == R)
      kf_tile<R, V>(A, lda, B, ldb, C, ldc, K, w, add);
    else
      kf_rest<V, R - 1>(h, A, lda, B, ldb, C, ldc, K, w, add);
  }
}
template <int V>
static inline void kf_rows(int M, const float* A, long lda, const float* B, long ldb, float* C, long ldc, int K,
                           int w = V * KF_LANES, bool add = false) {
  int i = 0;
  for (; i + MR <= M; i += MR) kf_tile<MR, V>(A + i * lda, lda, B, ldb, C + i * ldc, ldc, K, w, add);
  if (i < M) kf_rest<V>(M - i, A + i * lda, lda, B, ldb, C + i * ldc, ldc, K, w, add);
}
#endif

void gemm(const float* __restrict A, const float* __restrict B, float* __restrict C,
          int M, int N, int K) {
#if KERNEL == 0
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      float s = 0.0f;
      KF_UNROLL(UNROLL_K)
      for (int k = 0; k < K; ++k) s += A[(long)i * K + k] * B[(long)k * N + j];
      C[(long)i * N + j] = s;
    }
#elif KERNEL == 1
  for (int i = 0; i < M; ++i) {
    float* __restrict c = C + (long)i * N;
    for (int j = 0; j < N; ++j) c[j] = 0.0f;
    KF_UNROLL(UNROLL_K)
    for (int k = 0; k < K; ++k) {
      const float a = A[(long)i * K + k];
      const float* __restrict b = B + (long)k * N;
      for (int j = 0; j < N; ++j) c[j] += a * b[j];
    }
  }
#elif KERNEL == 2
  constexpr int NR = NV * KF_LANES;
  int j = 0;
  for (; j + NR <= N; j += NR) kf_rows<NV>(M, A, K, B + j, N, C + j, N, K);
  for (; j + KF_LANES <= N; j += KF_LANES) kf_rows<1>(M, A, K, B + j, N, C + j, N, K);
  if (j < N)  // the last N % KF_LANES columns
    for (int i = 0; i < M; ++i)
      for (int jj = j; jj < N; ++jj) {
        float s = 0.0f;
        for (int k = 0; k < K; ++k) s += A[(long)i * K + k] * B[(long)k * N + jj];
        C[(long)i * N + jj] = s;
      }
#else
  // Panels of B, KC rows (of k) at a time, each packed contiguously and zero-padded past N.
  constexpr int NR = NV * KF_LANES, KC = 256;
  alignas(64) float panel[KC * NR];
  for (int j = 0; j < N; j += NR) {
    const int w = N - j < NR ? N - j : NR;
    for (int k0 = 0; k0 < K; k0 += KC) {
      const int kc = K - k0 < KC ? K - k0 : KC;
      for (int k = 0; k < kc; ++k) {
        const float* __restrict b = B + (long)(k0 + k) * N + j;
        float* __restrict q = panel + k * NR;
        if (w == NR) {
          std::memcpy(q, b, sizeof(float) * NR);
        } else {
          for (int l = 0; l < w; ++l) q[l] = b[l];
          for (int l = w; l < NR; ++l) q[l] = 0.0f;
        }
      }
      kf_rows<NV>(M, A + k0, K, panel, NR, C + j, N, kc, w, k0 > 0);
    }
  }
#endif
}
