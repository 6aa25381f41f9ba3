// GELU, tanh approximation form: y = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
#include <cmath>

void gelu_tanh(const float* x, float* y, int n) {
  for (int i = 0; i < n; ++i) {
    float v = x[i];
    float u = 0.7978845608f * (v + 0.044715f * v * v * v);
    y[i] = 0.5f * v * (1.0f + std::tanh(u));
  }
}
