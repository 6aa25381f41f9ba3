// Row reductions template: row_max and row_mean; a task calls one (GCC vector extensions,
// VEC float lanes per vector). Every setting is correct for every shape: each row loop steps
// by VEC*ACC and a scalar remainder loop finishes the row.
// Knobs:
//   VEC   lanes per vector (1, 4, 8, 16).
//   ACC   independent accumulator vectors (1, 2, 4): breaks the dependency chain.
//   ROWS  rows reduced together (1, 2): their loads interleave (edge row alone).
#include <cmath>
#include <cstring>

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

// Reduces rows r .. r+R-1 into y (MAX: their largest value, else their mean).
template <int R, bool MAX>
static inline void kf_reduce(const float* __restrict x, float* __restrict y, int cols, int r) {
  constexpr int W = VEC * ACC;
  const int main_cols = cols - cols % W;
  kf_vf acc[R][ACC];
  for (int q = 0; q < R; ++q)
    for (int a = 0; a < ACC; ++a) acc[q][a] = kf_splat(MAX ? -INFINITY : 0.0f);
  for (int j = 0; j < main_cols; j += W)
    for (int q = 0; q < R; ++q)
      for (int a = 0; a < ACC; ++a) {
        kf_vf v = kf_load(x + (long)(r + q) * cols + j + a * VEC);
        if (MAX)
          acc[q][a] = v > acc[q][a] ? v : acc[q][a];
        else
          acc[q][a] += v;
      }
  for (int q = 0; q < R; ++q) {
    const float* __restrict xr = x + (long)(r + q) * cols;
    float s = MAX ? -INFINITY : 0.0f;
    for (int a = 0; a < ACC; ++a)
      for (int i = 0; i < VEC; ++i) {
        float l = kf_lane(acc[q][a], i);
        s = MAX ? (l > s ? l : s) : s + l;
      }
    for (int j = main_cols; j < cols; ++j) s = MAX ? (xr[j] > s ? xr[j] : s) : s + xr[j];
    y[r + q] = MAX ? s : s / cols;
  }
}

template <bool MAX>
static void kf_rows(const float* x, float* y, int rows, int cols) {
  int r = 0;
  for (; r + ROWS <= rows; r += ROWS) kf_reduce<ROWS, MAX>(x, y, cols, r);
  for (; r < rows; ++r) kf_reduce<1, MAX>(x, y, cols, r);
}

void row_max(const float* x, float* y, int rows, int cols) { kf_rows<true>(x, y, rows, cols); }
void row_mean(const float* x, float* y, int rows, int cols) { kf_rows<false>(x, y, rows, cols); }
