// Matrix transpose template: y[cols][rows] = x[rows][cols]^T, cache-blocked.
// Knobs:
//   TILE_I  rows of x per tile (8, 16, 32, 48, 64).
//   TILE_J  columns of x per tile (8, 16, 32, 48, 64).
//           Tiles cover the matrix with NO edge handling: the last partial
//           tile is skipped, so the result is wrong when rows % TILE_I != 0
//           or cols % TILE_J != 0.
//   INNER   0: inside a tile, j outer / i inner (contiguous writes of y);
//           1: i outer / j inner (contiguous reads of x).
void transpose(const float* __restrict x, float* __restrict y, int rows, int cols) {
  for (int ii = 0; ii + TILE_I <= rows; ii += TILE_I)
    for (int jj = 0; jj + TILE_J <= cols; jj += TILE_J) {
#if INNER == 0
      for (int j = jj; j < jj + TILE_J; ++j)
        for (int i = ii; i < ii + TILE_I; ++i) y[(long)j * rows + i] = x[(long)i * cols + j];
#else
      for (int i = ii; i < ii + TILE_I; ++i)
        for (int j = jj; j < jj + TILE_J; ++j) y[(long)j * rows + i] = x[(long)i * cols + j];
#endif
    }
}
