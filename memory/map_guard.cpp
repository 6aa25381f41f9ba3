#include "memory/map_guard.hpp"

#include "memory/env.hpp"

#include <lmdb.h>

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <mutex>

namespace kforge::memory::detail {

thread_local sigjmp_buf* armed_map_guard = nullptr;

namespace {

struct sigaction previous_bus {};
struct sigaction previous_segv {};

// Async-signal-safe: reads a thread-local pointer of the executable's static TLS (set before
// any guarded read, so no lazy TLS allocation here), then siglongjmp or sigaction.
void on_fault(int sig, siginfo_t* info, void* context) {
  if (sigjmp_buf* guard = armed_map_guard; guard != nullptr)
    siglongjmp(*guard, 1);
  const struct sigaction& previous = sig == SIGBUS ? previous_bus : previous_segv;
  if ((previous.sa_flags & SA_SIGINFO) != 0 && previous.sa_sigaction != nullptr) {
    previous.sa_sigaction(sig, info, context);
    return;
  }
  if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
    previous.sa_handler(sig);
    return;
  }
  // Not a store read: restore the default action; returning repeats the faulting access, which
  // now ends the process with that signal, as it would have without this handler.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(sig, &dfl, nullptr);
}

}  // namespace

void install_map_guard() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction act {};
    act.sa_sigaction = on_fault;
    // SA_NODEFER: the signal stays unblocked in the handler, so that its siglongjmp leaves the
    // mask as it was without sigsetjmp saving it. The handler itself never faults.
    act.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&act.sa_mask);
    sigaction(SIGBUS, &act, &previous_bus);
    sigaction(SIGSEGV, &act, &previous_segv);
  });
}

void touch_pages(const void* data, std::size_t size) noexcept {
  if (size == 0)
    return;
  const auto* bytes = static_cast<const volatile unsigned char*>(data);
  unsigned char sink = 0;
  for (std::size_t at = 0; at < size; at += 4096)
    sink = static_cast<unsigned char>(sink ^ bytes[at]);
  sink = static_cast<unsigned char>(sink ^ bytes[size - 1]);
  (void)sink;
}

void release_pages(const void* data, std::size_t size) noexcept {
  if (size < release_after_copy)
    return;
  const auto page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto begin = (reinterpret_cast<std::uintptr_t>(data) + page - 1) / page * page;
  const auto end = (reinterpret_cast<std::uintptr_t>(data) + size) / page * page;
  if (end > begin)
    (void)madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

std::size_t release_file_maps(int fd) noexcept {
  struct stat file {};
  if (fstat(fd, &file) != 0)
    return 0;
  std::FILE* maps = std::fopen("/proc/self/maps", "re");
  if (maps == nullptr)
    return 0;
  std::size_t released = 0;
  char line[4096];
  while (std::fgets(line, sizeof(line), maps) != nullptr) {
    unsigned long begin = 0;
    unsigned long end = 0;
    unsigned major_id = 0;
    unsigned minor_id = 0;
    unsigned long long inode = 0;
    if (std::sscanf(line, "%lx-%lx %*s %*s %x:%x %llu", &begin, &end, &major_id, &minor_id, &inode) == 5 &&
        inode == file.st_ino && major_id == major(file.st_dev) && minor_id == minor(file.st_dev) &&
        madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED) == 0)
      released += end - begin;
  }
  std::fclose(maps);
  return released;
}

}  // namespace kforge::memory::detail

namespace kforge::memory {

// Beside release_file_maps rather than in env.cpp: what it does is the map's, and no lock is needed,
// because the environment cannot remap while any transaction of this process is open.
std::size_t txn::release_resident() const noexcept {
  mdb_filehandle_t fd = -1;
  return handle_ && mdb_env_get_fd(mdb_txn_env(handle_.get()), &fd) == 0 ? detail::release_file_maps(fd) : 0;
}

}  // namespace kforge::memory
