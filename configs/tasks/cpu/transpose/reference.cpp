// Matrix transpose reference: y[cols][rows] = x[rows][cols]^T, row by row.
void transpose(const float* x, float* y, int rows, int cols) {
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) y[(long)j * rows + i] = x[(long)i * cols + j];
}
