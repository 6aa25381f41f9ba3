// variant: transpose/baseline
// techniques: none
// expect: correct
// mistake: none
// summary: Plain double loop over the input row by row, writing each element to its transposed position.
void transpose(const float* x, float* y, int rows, int cols) {
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) y[(long)j * rows + i] = x[(long)i * cols + j];
}
