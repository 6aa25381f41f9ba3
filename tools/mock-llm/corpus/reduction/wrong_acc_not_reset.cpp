// variant: reduction/wrong_acc_not_reset
// techniques: simd_vectorization, remainder_handling
// expect: wrong
// mistake: uninitialized_accumulator
// summary: Hoisted the vector accumulator out of the row loop to save re-initialisation, 8 lanes per step with a scalar tail.
#include <cstring>
typedef float v8f __attribute__((vector_size(32)));
void row_sum(const float* x, float* y, int rows, int cols) {
  v8f acc = {};
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + (long)r * cols;
    int j = 0;
    for (; j + 8 <= cols; j += 8) {
      v8f v;
      std::memcpy(&v, xr + j, sizeof v);
      acc += v;
    }
    float s = 0.0f;
    for (int l = 0; l < 8; ++l) s += acc[l];
    for (; j < cols; ++j) s += xr[j];
    y[r] = s;
  }
}
