// out (cols x rows) = transpose of in (rows x cols), reference: one thread per element, no tiling.
#include <cuda_runtime.h>

__global__ void kf_ref_transpose(const float* in, float* out, int rows, int cols) {
  int c = blockIdx.x * blockDim.x + threadIdx.x;
  int r = blockIdx.y * blockDim.y + threadIdx.y;
  if (r < rows && c < cols) out[(long)c * rows + r] = in[(long)r * cols + c];
}

void transpose(const float* in, float* out, int rows, int cols) {
  dim3 block(16, 16);
  dim3 grid((cols + 15) / 16, (rows + 15) / 16);
  kf_ref_transpose<<<grid, block>>>(in, out, rows, cols);
}
