// Hostile: calls abort(). Expected: killed by SIGABRT.
#include <cstdlib>

int main() {
  std::abort();
}
