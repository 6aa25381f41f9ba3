// Row sums: y[r] = sum_j x[r][j], one running float sum per row.
void row_sum(const float* x, float* y, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    float s = 0.0f;
    for (int j = 0; j < cols; ++j) s += x[(long)r * cols + j];
    y[r] = s;
  }
}
