// variant: softmax/wrong_rcp_approx
// techniques: reciprocal_multiply, fast_math_approximation
// expect: wrong
// mistake: approximation_too_coarse
// summary: Replaced the division by the row sum with a fast hardware reciprocal estimate, exact std::exp for the exponentials.
#include <cmath>
#include <cstdint>
#include <cstring>
#ifdef __AVX2__
#include <immintrin.h>
static inline float fast_recip(float s) { return _mm_cvtss_f32(_mm_rcp_ss(_mm_set_ss(s))); }
#else
static inline float fast_recip(float s) {
  // Bit-trick estimate with one Newton step (about 12 bits, like rcpss).
  uint32_t i;
  std::memcpy(&i, &s, 4);
  i = 0x7EF311C7u - i;
  float r;
  std::memcpy(&r, &i, 4);
  return r * (2.0f - s * r);
}
#endif
void softmax_rows(const float* x, float* y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + (long)r * cols;
    float* yr = y + (long)r * cols;
    float m = xr[0];
    for (int j = 1; j < cols; ++j) m = xr[j] > m ? xr[j] : m;
    float s = 0.0f;
    for (int j = 0; j < cols; ++j) s += (yr[j] = std::exp(xr[j] - m));
    const float inv = fast_recip(s);
    for (int j = 0; j < cols; ++j) yr[j] *= inv;
  }
}
