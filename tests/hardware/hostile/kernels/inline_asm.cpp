// Hostile (static gate): inline assembly (here a raw rdtsc).
void add_rows(const float* a, const float* b, float* c, int rows, int cols) {
  unsigned lo = 0;
  unsigned hi = 0;
  __asm__ volatile("" : "=a"(lo), "=d"(hi));
  for (int i = 0; i < rows * cols; ++i) c[i] = a[i] + b[i] + static_cast<float>((lo + hi) & 0);
}
