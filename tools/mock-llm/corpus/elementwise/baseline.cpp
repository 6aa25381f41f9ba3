// variant: elementwise/baseline
// techniques: none
// expect: correct
// mistake: none
// summary: Plain loop applying the tanh form of GELU to each element with std::tanh.
#include <cmath>
void gelu_tanh(const float* x, float* y, int n) {
  for (int i = 0; i < n; ++i) {
    const float v = x[i];
    const float u = 0.7978845608f * (v + 0.044715f * v * v * v);
    y[i] = 0.5f * v * (1.0f + std::tanh(u));
  }
}
