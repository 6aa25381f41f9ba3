// Hostile: writes far outside its output.
void add_rows(const float* a, const float* b, float* c, int rows, int cols) {
  float* far = c + (static_cast<long>(rows) << 40);
  *far = a[0] + b[0] + static_cast<float>(cols);
}
