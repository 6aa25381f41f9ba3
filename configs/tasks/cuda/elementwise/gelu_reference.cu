// GELU (tanh form), reference: one thread per element.
#include <cuda_runtime.h>
#include <cmath>

__global__ void kf_ref_gelu(const float* x, float* y, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) {
    float v = x[i];
    y[i] = 0.5f * v * (1.0f + tanhf(0.7978845608028654f * (v + 0.044715f * v * v * v)));
  }
}

void gelu_tanh(const float* x, float* y, int n) {
  kf_ref_gelu<<<(n + 255) / 256, 256>>>(x, y, n);
}
