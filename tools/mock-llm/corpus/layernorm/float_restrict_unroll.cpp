// variant: layernorm/float_restrict_unroll
// techniques: restrict_aliasing, loop_unrolling, multiple_accumulators, remainder_handling
// expect: correct
// mistake: none
// summary: Float accumulation with four partial sums unrolled by four and restrict pointers so the compiler can vectorize the normalise loop.
#include <cmath>
void layernorm(const float* __restrict x, const float* __restrict gamma, const float* __restrict beta,
               float* __restrict y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    const float* __restrict xr = x + (long)r * cols;
    float* __restrict yr = y + (long)r * cols;
    float s[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    int j = 0;
    for (; j + 4 <= cols; j += 4)
      for (int k = 0; k < 4; ++k) s[k] += xr[j + k];
    float st = (s[0] + s[1]) + (s[2] + s[3]);
    for (; j < cols; ++j) st += xr[j];
    const float mean = st / cols;
    float q[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (j = 0; j + 4 <= cols; j += 4)
      for (int k = 0; k < 4; ++k) { const float d = xr[j + k] - mean; q[k] += d * d; }
    float qt = (q[0] + q[1]) + (q[2] + q[3]);
    for (; j < cols; ++j) { const float d = xr[j] - mean; qt += d * d; }
    const float rstd = 1.0f / std::sqrt(qt / cols + 1e-5f);
    for (j = 0; j < cols; ++j) yr[j] = (xr[j] - mean) * rstd * gamma[j] + beta[j];
  }
}
