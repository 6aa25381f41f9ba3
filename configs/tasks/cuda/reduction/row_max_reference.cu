// Row maxima, reference: one thread per row.
#include <cuda_runtime.h>
#include <cmath>

__global__ void kf_ref_row_max(const float* x, float* y, int rows, int cols) {
  int r = blockIdx.x * blockDim.x + threadIdx.x;
  if (r < rows) {
    float m = -INFINITY;
    for (int j = 0; j < cols; ++j) m = fmaxf(m, x[(long)r * cols + j]);
    y[r] = m;
  }
}

void row_max(const float* x, float* y, int rows, int cols) {
  kf_ref_row_max<<<(rows + 127) / 128, 128>>>(x, y, rows, cols);
}
