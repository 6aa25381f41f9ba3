#pragma once

#include "hardware/task.hpp"
#include "hardware/verdict.hpp"

#include <string_view>

namespace kforge::hardware {

/// Gate 1: static checks on a candidate's source before anything is compiled.
///
/// A small lexer drops comments and string/char literals (so prose that
/// mentions `system` is fine), then the source is rejected for any of:
/// - `#include` of anything but the headers of docs/task-format.md, a quoted
///   or computed include, `#include_next`, `#import`, `#embed`, unknown directives;
/// - `#pragma` / `_Pragma` other than `GCC unroll`, `GCC ivdep`, `omp simd`,
///   `GCC optimize`, `GCC target`, `GCC push_options`, `GCC pop_options`,
///   `STDC ...` and `once`; optimize/target strings may not name paths or plugins;
/// - inline assembly (`asm`, `__asm`, `__asm__`) and `extern` (kernels need no
///   other linkage; `extern "C"` could interpose libc symbols the harness uses);
/// - process, file, network, time, thread, signal, exit, environment, memory
///   mapping, non-local jump and dynamic-loading names (`system`, `fork`,
///   `exec*`, `syscall`, `fopen`, `printf`, `socket`, `clock*`, `time`,
///   `rdtsc`, `chrono`, `thread`, `pthread_*`, `dlopen`, `getenv`, `exit`,
///   `abort`, `signal`, `mmap`, `setjmp`, ...), also as `__builtin_` forms;
///   `read`, `write`, `open`, `close`, `wait`, `sleep` only as calls;
/// - a definition or use of `main`, `_start`; the token-pasting operator `##`
///   (it could assemble a forbidden name); `__builtin_frame_address` and its kin;
/// - attributes that run or redirect code: constructor, destructor, alias,
///   ifunc, weak, section, visibility, symver;
/// - identifiers starting with `kforge_` or `KFORGE_` (reserved for the harness);
/// - a source that never names the kernel function of `task.signature`.
/// The detail lists each violation as "line N: 'token' ... (reason)". Pure; thread-safe.
[[nodiscard]] gate_result hack_check(const task_def& task, std::string_view source);

}  // namespace kforge::hardware
