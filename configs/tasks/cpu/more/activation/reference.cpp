// Activations, reference: one plain loop per operator. Each task calls one of them.
#include <cmath>

void relu(const float* x, float* y, int n) {
  for (int i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void leaky_relu(const float* x, float* y, int n) {
  for (int i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : 0.01f * x[i];
}

void sigmoid(const float* x, float* y, int n) {
  for (int i = 0; i < n; ++i) y[i] = 1.0f / (1.0f + std::exp(-x[i]));
}

void tanh_act(const float* x, float* y, int n) {
  for (int i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
}
