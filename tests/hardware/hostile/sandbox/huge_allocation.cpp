// Hostile: takes address space in 256 MiB blocks until refused, says how much
// it got, then asks for 1 TiB with new. Expected: RLIMIT_AS refuses, the
// uncaught std::bad_alloc aborts (SIGABRT).
#include <cstdio>
#include <cstdlib>
#include <vector>

int main() {
  constexpr std::size_t block = std::size_t{256} << 20;
  std::vector<void*> blocks;
  for (int i = 0; i < 4096; ++i) {
    void* p = std::malloc(block);
    if (p == nullptr)
      break;
    blocks.push_back(p);
  }
  std::printf("refused after %zu MiB\n", blocks.size() * (block >> 20));
  std::fflush(stdout);
  auto* huge = new char[std::size_t{1} << 40];
  huge[0] = 1;
  std::printf("got 1 TiB\n");
  return huge[0];
}
