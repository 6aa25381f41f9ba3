// variant: transpose/blocked_32
// techniques: cache_blocking, remainder_handling, restrict_aliasing
// expect: correct
// mistake: none
// summary: Transposed in 32x32 tiles so the lines read and written by a tile stay in L1, with clipped tiles at the right and bottom edges.
void transpose(const float* __restrict x, float* __restrict y, int rows, int cols) {
  const int T = 32;
  for (int i0 = 0; i0 < rows; i0 += T) {
    const int i1 = i0 + T < rows ? i0 + T : rows;
    for (int j0 = 0; j0 < cols; j0 += T) {
      const int j1 = j0 + T < cols ? j0 + T : cols;
      for (int i = i0; i < i1; ++i)
        for (int j = j0; j < j1; ++j) y[(long)j * rows + i] = x[(long)i * cols + j];
    }
  }
}
