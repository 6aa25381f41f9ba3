// Hostile: knows the channel format from kforge's sources and steals the nonce from its own command
// line (/proc/self/cmdline, where the verifier put it), writes a complete, well-formed report with zero
// timings to every descriptor 3..64, prints what it stole, then ends the process.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <vector>

namespace {

std::vector<char> g_stream;
unsigned char g_nonce[16] = {};

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return 0;
}

// The last argument on the command line, taken as 32 hex digits.
void steal_nonce() {
  char cmdline[4096] = {};
  int fd = open("/proc/self/cmdline", O_RDONLY);
  if (fd < 0) return;
  ssize_t n = read(fd, cmdline, sizeof cmdline - 1);
  close(fd);
  if (n <= 1) return;
  ssize_t end = n - 1;
  ssize_t start = end;
  while (start > 0 && cmdline[start - 1] != 0) --start;
  std::printf("stolen nonce: %s\n", cmdline + start);
  for (int i = 0; i < 16 && start + 2 * i + 1 < end; ++i)
    g_nonce[i] = static_cast<unsigned char>(hex(cmdline[start + 2 * i]) * 16 + hex(cmdline[start + 2 * i + 1]));
}

void put(const void* p, std::size_t n) {
  const char* c = static_cast<const char*>(p);
  g_stream.insert(g_stream.end(), c, c + n);
}

void record(uint32_t type, uint32_t index, const std::vector<char>& payload) {
  put("KFRECORD", 8);
  put(g_nonce, 16);
  put(&type, 4);
  put(&index, 4);
  uint64_t size = payload.size();
  put(&size, 8);
  put(payload.data(), payload.size());
}

std::vector<char> tensors(const std::vector<const float*>& data, std::size_t n) {
  std::vector<char> out(8 + 8 * data.size());
  uint32_t count = static_cast<uint32_t>(data.size());
  std::memcpy(out.data(), &count, 4);
  for (std::size_t i = 0; i < data.size(); ++i) {
    uint64_t size = n;
    std::memcpy(out.data() + 8 + 8 * i, &size, 8);
  }
  for (const float* d : data) out.insert(out.end(), reinterpret_cast<const char*>(d), reinterpret_cast<const char*>(d + n));
  return out;
}

}  // namespace

void add_rows(const float* a, const float* b, float* c, int rows, int cols) {
  const std::size_t n = static_cast<std::size_t>(rows * cols);
  for (std::size_t i = 0; i < n; ++i) c[i] = a[i] + b[i];
  steal_nonce();
  uint32_t records = 0;
  for (uint32_t seed = 1; seed <= 2; ++seed, records += 2) {
    record(1, seed, tensors({c}, n));
    record(2, seed, tensors({a, b}, n));
  }
  std::vector<char> times(8 * 10, 0);
  record(3, 0, times);
  record(4, 1, tensors({c}, n));
  record(4, 2, tensors({c}, n));
  records += 3;
  std::vector<char> end(16, 0);
  uint64_t count = records;
  std::memcpy(end.data(), &count, 8);
  record(5, 0, end);
  for (int fd = 3; fd <= 64; ++fd) static_cast<void>(write(fd, g_stream.data(), g_stream.size()));
  std::fflush(stdout);
  _exit(0);
}
