// variant: gemv/vecext_prefetch
// techniques: simd_vectorization, software_prefetch, multiple_accumulators, remainder_handling
// expect: correct
// mistake: none
// summary: Portable 8-lane vector-extension dot product with two accumulators, prefetching the row of A 512 bytes ahead, and a scalar tail.
#include <cstring>
typedef float v8f __attribute__((vector_size(32)));
static inline v8f load8(const float* p) { v8f v; std::memcpy(&v, p, sizeof v); return v; }
void gemv(const float* A, const float* x, float* y, int M, int N) {
  for (int i = 0; i < M; ++i) {
    const float* a = A + (long)i * N;
    v8f c0 = {}, c1 = {};
    int j = 0;
    for (; j + 16 <= N; j += 16) {
      __builtin_prefetch(a + j + 128, 0, 0);
      c0 += load8(a + j) * load8(x + j);
      c1 += load8(a + j + 8) * load8(x + j + 8);
    }
    if (j + 8 <= N) { c0 += load8(a + j) * load8(x + j); j += 8; }
    c0 += c1;
    float s = 0.0f;
    for (int l = 0; l < 8; ++l) s += c0[l];
    for (; j < N; ++j) s += a[j] * x[j];
    y[i] = s;
  }
}
