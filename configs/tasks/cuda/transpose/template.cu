// Matrix transpose template: TILE x TILE tiles, TILE x ROWS threads per block,
// each thread moving TILE / ROWS elements.
// Knobs:
//   TILE  tile edge (16 or 32).
//   ROWS  thread rows per block (4 or 8).
//   SMEM  0: direct copy (coalesced reads, strided writes);
//         1: through a shared-memory tile (coalesced reads and writes).
//   PAD   0 or 1 float of padding per shared row (avoids 32-way bank conflicts).
#include <cuda_runtime.h>

__global__ void __launch_bounds__(TILE * ROWS) kf_transpose(const float* __restrict__ in, float* __restrict__ out,
                                                             int rows, int cols) {
  const int bx = blockIdx.x * TILE;
  const int by = blockIdx.y * TILE;
#if SMEM
  __shared__ float tile[TILE][TILE + PAD];
  for (int j = threadIdx.y; j < TILE; j += ROWS) {
    const int r = by + j;
    const int c = bx + threadIdx.x;
    if (r < rows && c < cols) tile[j][threadIdx.x] = in[(long)r * cols + c];
  }
  __syncthreads();
  for (int j = threadIdx.y; j < TILE; j += ROWS) {
    const int c = bx + j;               // output row
    const int r = by + threadIdx.x;     // output column
    if (c < cols && r < rows) out[(long)c * rows + r] = tile[threadIdx.x][j];
  }
#else
  for (int j = threadIdx.y; j < TILE; j += ROWS) {
    const int r = by + j;
    const int c = bx + threadIdx.x;
    if (r < rows && c < cols) out[(long)c * rows + r] = in[(long)r * cols + c];
  }
#endif
}

void transpose(const float* in, float* out, int rows, int cols) {
  dim3 block(TILE, ROWS);
  dim3 grid((cols + TILE - 1) / TILE, (rows + TILE - 1) / TILE);
  kf_transpose<<<grid, block>>>(in, out, rows, cols);
}
