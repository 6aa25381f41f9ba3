#pragma once

// A guard around reads of the memory map of a store: a SIGBUS raised inside it (a page of
// data.mdb that is not in the file, because the file is shorter than LMDB believes) or a SIGSEGV
// (a damaged node that sends LMDB or the copy past the map) makes the guarded call return false
// instead of killing the process.
//
// How: a process-wide SIGBUS and SIGSEGV handler (installed on first use, keeping the previous
// ones, e.g. a sanitizer's) jumps
// back with siglongjmp when the faulting thread has armed a guard (a thread-local jump buffer),
// and otherwise hands the signal to the previous handler, or restores the default action so that
// the fault repeats and kills the process as it would have without kforge.
//
// Rules for the guarded body, because the jump skips its frames:
// - only C calls that read the map (mdb_get, mdb_cursor_get, mdb_stat, memcpy, and
//   mdb_dbi_open, which allocates only after its read of the main table): no C++ objects
//   constructed inside, no locks or allocations in flight (nothing the jump could leave behind);
// - read transactions only. A write transaction holds dirty pages and free-list state that a
//   jump out of LMDB could leave half-updated, and a later commit would write that damage; the
//   writer (the curator) runs after the store passed its open checks, unguarded.

#include <csetjmp>
#include <cstddef>

namespace kforge::memory::detail {

/// The jump buffer of the guard armed on this thread, or null. Set only by guarded_read.
extern thread_local sigjmp_buf* armed_map_guard;

/// Installs the SIGBUS and SIGSEGV handler once per process. Thread-safe.
void install_map_guard();

/// Runs `body` (rules above); returns false if a SIGBUS or SIGSEGV interrupted it, true otherwise.
/// Nests: an inner guard re-arms the outer one when it ends.
template <class Body>
[[nodiscard]] bool guarded_read(Body&& body) {
  install_map_guard();
  sigjmp_buf here;
  sigjmp_buf* const outer = armed_map_guard;
  // The mask is not saved (no syscall per read): the handler runs with SA_NODEFER, so the
  // signal is not blocked when it jumps back here.
  if (sigsetjmp(here, 0) != 0) {
    armed_map_guard = outer;
    return false;
  }
  armed_map_guard = &here;
  body();
  armed_map_guard = outer;
  return true;
}

/// Reads one byte of every page of `size` bytes at `data`, and the last one, without copying
/// them: inside a guard, so that a page the file lost faults there. A C loop (guard rules).
void touch_pages(const void* data, std::size_t size) noexcept;

/// Values of at least this size are read once (a task's cached reference, megabytes): their
/// pages leave the process's resident set as soon as they are copied out.
inline constexpr std::size_t release_after_copy = std::size_t{1} << 20U;

/// Drops the whole pages inside [data, data + size) of the store's read-only shared map from the
/// resident set (madvise MADV_DONTNEED: the file and the page cache keep them; the next read
/// faults them back in). Only for `size` of at least release_after_copy; errors are ignored.
void release_pages(const void* data, std::size_t size) noexcept;

/// Drops every page of the process's mappings of the file open as `fd` (found in
/// /proc/self/maps by device and inode: LMDB does not say where it mapped a file unless the map
/// is fixed) from the resident set; returns the bytes of those mappings (0 if none was found).
/// The caller holds off remaps.
std::size_t release_file_maps(int fd) noexcept;

}  // namespace kforge::memory::detail
