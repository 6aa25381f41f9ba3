// variant: reduction/rows2_avx2
// techniques: row_interleaving, simd_vectorization, remainder_handling
// expect: correct
// mistake: none
// summary: Reduce two rows at once with one 8-wide accumulator each so their add chains overlap, with column and row remainders.
#include <cstring>
typedef float v8f __attribute__((vector_size(32)));
static inline v8f load8(const float* p) { v8f v; std::memcpy(&v, p, sizeof v); return v; }
static inline float hsum(v8f v) {
  float s = 0.0f;
  for (int l = 0; l < 8; ++l) s += v[l];
  return s;
}
static float one_row(const float* xr, int cols) {
  v8f a = {};
  int j = 0;
  for (; j + 8 <= cols; j += 8) a += load8(xr + j);
  float s = hsum(a);
  for (; j < cols; ++j) s += xr[j];
  return s;
}
void row_sum(const float* x, float* y, int rows, int cols) {
  int r = 0;
  for (; r + 2 <= rows; r += 2) {
    const float* x0 = x + (long)r * cols;
    const float* x1 = x0 + cols;
    v8f a = {}, b = {};
    int j = 0;
    for (; j + 8 <= cols; j += 8) {
      a += load8(x0 + j);
      b += load8(x1 + j);
    }
    float s0 = hsum(a), s1 = hsum(b);
    for (; j < cols; ++j) { s0 += x0[j]; s1 += x1[j]; }
    y[r] = s0;
    y[r + 1] = s1;
  }
  for (; r < rows; ++r) y[r] = one_row(x + (long)r * cols, cols);
}
