// variant: transpose/write_order
// techniques: loop_interchange, restrict_aliasing, strength_reduction
// expect: correct
// mistake: none
// summary: Swapped the loops to walk the output row by row so every store is unit stride and the strided reads are the ones the hardware prefetcher follows.
void transpose(const float* __restrict x, float* __restrict y, int rows, int cols) {
  for (int j = 0; j < cols; ++j) {
    float* __restrict yr = y + (long)j * rows;
    const float* xc = x + j;
    for (int i = 0; i < rows; ++i, xc += cols) yr[i] = *xc;
  }
}
