// Hostile: writes through a wild pointer. Expected: killed by SIGSEGV.
#include <cstdint>

int main() {
  auto* wild = reinterpret_cast<volatile int*>(std::uintptr_t{16});
  *wild = 42;
  return 0;
}
