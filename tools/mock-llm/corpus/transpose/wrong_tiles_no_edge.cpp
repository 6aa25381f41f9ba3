// variant: transpose/wrong_tiles_no_edge
// techniques: cache_blocking, loop_unrolling
// expect: wrong
// mistake: wrong_edge_handling
// summary: Transposed in fixed 32x32 tiles with fully unrollable inner loops of constant trip count.
void transpose(const float* x, float* y, int rows, int cols) {
  const int T = 32;
  for (int i0 = 0; i0 + T <= rows; i0 += T)
    for (int j0 = 0; j0 + T <= cols; j0 += T)
      for (int i = 0; i < T; ++i)
        for (int j = 0; j < T; ++j) y[(long)(j0 + j) * rows + i0 + i] = x[(long)(i0 + i) * cols + j0 + j];
}
