// variant: reduction/vecext_acc2
// techniques: simd_vectorization, multiple_accumulators, remainder_handling
// expect: correct
// mistake: none
// summary: Portable 8-lane vector-extension sum with two accumulators per row and a scalar tail.
#include <cstring>
typedef float v8f __attribute__((vector_size(32)));
static inline v8f load8(const float* p) { v8f v; std::memcpy(&v, p, sizeof v); return v; }
void row_sum(const float* x, float* y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + (long)r * cols;
    v8f a = {}, b = {};
    int j = 0;
    for (; j + 16 <= cols; j += 16) {
      a += load8(xr + j);
      b += load8(xr + j + 8);
    }
    if (j + 8 <= cols) { a += load8(xr + j); j += 8; }
    a += b;
    float s = 0.0f;
    for (int l = 0; l < 8; ++l) s += a[l];
    for (; j < cols; ++j) s += xr[j];
    y[r] = s;
  }
}
