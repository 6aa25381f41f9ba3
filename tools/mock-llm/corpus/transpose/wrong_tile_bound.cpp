// variant: transpose/wrong_tile_bound
// techniques: cache_blocking, remainder_handling
// expect: wrong
// mistake: off_by_one
// summary: Transposed in 32x32 tiles with each tile's bounds clipped to the last valid row and column of the matrix.
void transpose(const float* x, float* y, int rows, int cols) {
  const int T = 32;
  for (int i0 = 0; i0 < rows; i0 += T) {
    const int i1 = i0 + T < rows - 1 ? i0 + T : rows - 1;
    for (int j0 = 0; j0 < cols; j0 += T) {
      const int j1 = j0 + T < cols ? j0 + T : cols;
      for (int i = i0; i < i1; ++i)
        for (int j = j0; j < j1; ++j) y[(long)j * rows + i] = x[(long)i * cols + j];
    }
  }
}
