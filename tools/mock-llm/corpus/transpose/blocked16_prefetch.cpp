// variant: transpose/blocked16_prefetch
// techniques: cache_blocking, software_prefetch, loop_unrolling, remainder_handling
// expect: correct
// mistake: none
// summary: 16x16 tiles with the input rows of the next tile prefetched while the current one is written, inner column loop unrolled by four with a tail.
void transpose(const float* x, float* y, int rows, int cols) {
  const int T = 16;
  for (int i0 = 0; i0 < rows; i0 += T) {
    const int i1 = i0 + T < rows ? i0 + T : rows;
    for (int j0 = 0; j0 < cols; j0 += T) {
      const int j1 = j0 + T < cols ? j0 + T : cols;
      if (j0 + T < cols)
        for (int i = i0; i < i1; ++i) __builtin_prefetch(x + (long)i * cols + j0 + T, 0, 1);
      for (int i = i0; i < i1; ++i) {
        const float* xr = x + (long)i * cols;
        int j = j0;
        for (; j + 4 <= j1; j += 4) {
          y[(long)j * rows + i] = xr[j];
          y[(long)(j + 1) * rows + i] = xr[j + 1];
          y[(long)(j + 2) * rows + i] = xr[j + 2];
          y[(long)(j + 3) * rows + i] = xr[j + 3];
        }
        for (; j < j1; ++j) y[(long)j * rows + i] = xr[j];
      }
    }
  }
}
