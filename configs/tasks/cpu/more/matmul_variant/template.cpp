// Matmul variants template: bmm (C[b] = A[b] * B[b]) and matmul_tb (C = A * B^T), row-major
// float32; a task calls one. Every setting is correct for every shape (edge rows and columns
// fall back to narrower loops).
// Knobs:
//   VEC   bmm: output columns held per step (1, 4, 8, 16), updated along k from contiguous
//         B rows; matmul_tb: lanes of the dot product along k.
//   ROWS  output rows computed together (1, 2, 4): each B element loaded once per ROWS rows.
//   UNROLL #pragma GCC unroll factor of the k loop (1, 4).
#include <cstring>

#define KF_STR(x) #x
#define KF_UNROLL(n) _Pragma(KF_STR(GCC unroll n))

// R rows x VEC columns of one m x k by k x n product, starting at row i, column j.
template <int R>
static inline void kf_tile(const float* __restrict a, const float* __restrict b, float* __restrict c, int k, int n,
                           int i, int j) {
  float acc[R][VEC] = {};
  KF_UNROLL(UNROLL)
  for (int p = 0; p < k; ++p) {
    const float* __restrict bp = b + (long)p * n + j;
    for (int r = 0; r < R; ++r) {
      const float av = a[(long)(i + r) * k + p];
      for (int v = 0; v < VEC; ++v) acc[r][v] += av * bp[v];
    }
  }
  for (int r = 0; r < R; ++r) std::memcpy(c + (long)(i + r) * n + j, acc[r], sizeof acc[r]);
}

// One output element of rows i .. i+R-1 at column j (the column remainder).
template <int R>
static inline void kf_column(const float* __restrict a, const float* __restrict b, float* __restrict c, int k, int n,
                             int i, int j) {
  float acc[R] = {};
  for (int p = 0; p < k; ++p)
    for (int r = 0; r < R; ++r) acc[r] += a[(long)(i + r) * k + p] * b[(long)p * n + j];
  for (int r = 0; r < R; ++r) c[(long)(i + r) * n + j] = acc[r];
}

template <int R>
static inline void kf_rows(const float* a, const float* b, float* c, int k, int n, int i) {
  int j = 0;
  for (; j + VEC <= n; j += VEC) kf_tile<R>(a, b, c, k, n, i, j);
  for (; j < n; ++j) kf_column<R>(a, b, c, k, n, i, j);
}

void bmm(const float* __restrict A, const float* __restrict B, float* __restrict C, int batch, int m, int k, int n) {
  for (int bi = 0; bi < batch; ++bi) {
    const float* a = A + (long)bi * m * k;
    const float* b = B + (long)bi * k * n;
    float* c = C + (long)bi * m * n;
    int i = 0;
    for (; i + ROWS <= m; i += ROWS) kf_rows<ROWS>(a, b, c, k, n, i);
    for (; i < m; ++i) kf_rows<1>(a, b, c, k, n, i);
  }
}

// Dot products of rows i .. i+R-1 of A with row j of B, VEC lanes along k.
template <int R>
static inline void kf_dots(const float* __restrict A, const float* __restrict B, float* __restrict C, int k, int n,
                           int i, int j) {
  const float* __restrict bj = B + (long)j * k;
  float acc[R][VEC] = {};
  int p = 0;
  KF_UNROLL(UNROLL)
  for (; p + VEC <= k; p += VEC)
    for (int r = 0; r < R; ++r)
      for (int v = 0; v < VEC; ++v) acc[r][v] += A[(long)(i + r) * k + p + v] * bj[p + v];
  for (int r = 0; r < R; ++r) {
    float s = 0.0f;
    for (int v = 0; v < VEC; ++v) s += acc[r][v];
    for (int q = p; q < k; ++q) s += A[(long)(i + r) * k + q] * bj[q];
    C[(long)(i + r) * n + j] = s;
  }
}

void matmul_tb(const float* __restrict A, const float* __restrict B, float* __restrict C, int m, int k, int n) {
  int i = 0;
  for (; i + ROWS <= m; i += ROWS)
    for (int j = 0; j < n; ++j) kf_dots<ROWS>(A, B, C, k, n, i, j);
  for (; i < m; ++i)
    for (int j = 0; j < n; ++j) kf_dots<1>(A, B, C, k, n, i, j);
}
