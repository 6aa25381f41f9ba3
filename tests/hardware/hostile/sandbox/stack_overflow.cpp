// Hostile: unbounded recursion with a page of stack per call.
// Expected: killed by SIGSEGV when the stack limit is hit.
#include <cstdio>

int depth(int n) {
  volatile char pad[4096];
  pad[0] = static_cast<char>(n);
  return depth(n + 1) + pad[0];
}

int main(int argc, char**) {
  std::printf("%d\n", depth(argc));
}
