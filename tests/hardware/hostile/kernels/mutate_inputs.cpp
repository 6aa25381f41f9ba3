// Hostile: writes its result into input b as scratch space (through a cast), then copies it out.
void add_rows(const float* a, const float* b, float* c, int rows, int cols) {
  float* scratch = const_cast<float*>(b);
  for (int i = 0; i < rows * cols; ++i) scratch[i] += a[i];
  for (int i = 0; i < rows * cols; ++i) c[i] = scratch[i];
}
