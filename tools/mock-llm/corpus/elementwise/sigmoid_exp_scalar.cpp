// variant: elementwise/sigmoid_exp_scalar
// techniques: strength_reduction, restrict_aliasing
// expect: correct
// mistake: none
// summary: Rewrote 0.5 (1 + tanh u) as the logistic 1 / (1 + e^-2u), so each element costs one std::exp and one divide, with the cubic as v*v2 and the constants folded.
#include <cmath>
void gelu_tanh(const float* __restrict x, float* __restrict y, int n) {
  const float c0 = -2.0f * 0.7978845608f, c1 = -2.0f * 0.7978845608f * 0.044715f;
  for (int i = 0; i < n; ++i) {
    const float v = x[i];
    const float v2 = v * v;
    const float k = v * (c0 + c1 * v2);
    y[i] = v / (1.0f + std::exp(k));
  }
}
