// Hostile (static gate): looks `system` up by name in the already loaded libc, no dlopen needed.
#include <cstdint>

void* dlsym(void*, const char*);

void add_rows(const float* a, const float* b, float* c, int rows, int cols) {
  void* f = dlsym(reinterpret_cast<void*>(intptr_t{0}), "system");
  for (int i = 0; i < rows * cols; ++i) c[i] = a[i] + b[i] + static_cast<float>(f != nullptr ? 0 : 0);
}
