// variant: scan/vecext_scan4
// techniques: parallel_scan, simd_vectorization, remainder_handling
// expect: correct
// mistake: none
// summary: Portable four-lane vector-extension scan, two shuffle-and-add steps per vector plus a broadcast carry of the last scanned lane, scalar tail.
#include <cstring>
typedef float v4f __attribute__((vector_size(16)));
typedef int v4i __attribute__((vector_size(16)));
void cumsum_rows(const float* x, float* y, int rows, int cols) {
  const v4f zero = {0.0f, 0.0f, 0.0f, 0.0f};
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + (long)r * cols;
    float* yr = y + (long)r * cols;
    v4f carry = zero;
    int j = 0;
    for (; j + 4 <= cols; j += 4) {
      v4f v;
      std::memcpy(&v, xr + j, sizeof v);
      v += __builtin_shuffle(zero, v, v4i{0, 4, 5, 6});
      v += __builtin_shuffle(zero, v, v4i{0, 1, 4, 5});
      v += carry;
      std::memcpy(yr + j, &v, sizeof v);
      carry = __builtin_shuffle(v, v4i{3, 3, 3, 3});
    }
    float c = carry[0];
    for (; j < cols; ++j) yr[j] = (c += xr[j]);
  }
}
