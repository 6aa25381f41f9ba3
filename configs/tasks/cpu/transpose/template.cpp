// Matrix transpose template: y[cols][rows] = x[rows][cols]^T, cache-blocked.
// Knobs:
//   TILE_I  rows of x per tile (8, 16, 32, 48, 64).
//   TILE_J  columns of x per tile (8, 16, 32, 48, 64).
//   INNER   0: inside a tile, j outer / i inner (contiguous writes of y);
//           1: i outer / j inner (contiguous reads of x).
//   TAIL    0: tiles cover the matrix with NO edge handling: the last partial
//              tile is skipped, so the result is wrong when rows % TILE_I != 0
//              or cols % TILE_J != 0;
//           1: the last partial tiles of each dimension too (the same loops,
//              bounded by the matrix).
static inline void kf_tile(const float* __restrict x, float* __restrict y, int rows, int cols, int ii, int ie,
                           int jj, int je) {
#if INNER == 0
  for (int j = jj; j < je; ++j)
    for (int i = ii; i < ie; ++i) y[(long)j * rows + i] = x[(long)i * cols + j];
#else
  for (int i = ii; i < ie; ++i)
    for (int j = jj; j < je; ++j) y[(long)j * rows + i] = x[(long)i * cols + j];
#endif
}

void transpose(const float* __restrict x, float* __restrict y, int rows, int cols) {
  int ii = 0;
  for (; ii + TILE_I <= rows; ii += TILE_I) {
    int jj = 0;
    for (; jj + TILE_J <= cols; jj += TILE_J) kf_tile(x, y, rows, cols, ii, ii + TILE_I, jj, jj + TILE_J);
#if TAIL
    if (jj < cols) kf_tile(x, y, rows, cols, ii, ii + TILE_I, jj, cols);
#endif
  }
#if TAIL
  if (ii < rows)
    for (int jj = 0; jj < cols; jj += TILE_J) kf_tile(x, y, rows, cols, ii, rows, jj, jj + TILE_J < cols ? jj + TILE_J : cols);
#endif
}
