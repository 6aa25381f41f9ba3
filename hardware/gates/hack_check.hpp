#pragma once

#include "runtime/base/task.hpp"
#include "runtime/base/verdict.hpp"

#include <string_view>
#include <vector>

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

/// Gate 1 for CUDA kernels (the cuda backend): everything hack_check forbids,
/// except that the CUDA headers <cuda_runtime.h>, <cuda_fp16.h>, <cuda_bf16.h>,
/// <mma.h>, <cooperative_groups.h>, <cooperative_groups/reduce.h>,
/// <cuda_pipeline.h>, <device_launch_parameters.h> and `#pragma unroll` are
/// allowed; and besides: streams, graphs and events of their own
/// (`cudaStream*`, `cudaGraph*`, `cudaEvent*`: work the harness's events on
/// the default stream would not time, or timing of their own), the driver API
/// (`cu[A-Z]*`), device state the harness owns (`cudaDeviceReset`,
/// `cudaSetDevice`, `cudaDeviceSetLimit`, `cudaCtx*`, `cudaIpc*`,
/// `cudaProfiler*`), peer copies, host callbacks, managed and registered host
/// memory, and device clocks (`clock`, `clock64` as all `clock*` names,
/// `__nanosleep`, `globaltimer`). `extern` is allowed before `__shared__` only.
/// Why CUDA code may not name `name` (the CUDA-only names hack_check_cuda
/// forbids, and clocks: `clock*`), or "" if it may. For sources embedded in
/// other languages (the kernelbench gate).
[[nodiscard]] std::string cuda_name_reason(const std::string& name);

[[nodiscard]] gate_result hack_check_cuda(const task_def& task, std::string_view source);

/// The native gate on the C++ or CUDA a KernelBench candidate passes to load_inline (a torch
/// extension): every name hack_check and hack_check_cuda forbid (the Python C API, dynamic
/// symbol lookup, relocation and symbol-table walking, process, file, time, streams, events,
/// graphs, the driver API, inline assembly, token pasting, function pointers, dangerous
/// attributes), pybind11's ways into the interpreter (`import`, `exec`, `eval`, `attr`, ...),
/// ATen's side streams, events and graphs, quoted includes and the headers of the process, the
/// loader and Python (<Python.h>, <dlfcn.h>, <link.h>, <sys/...>, ...); other system headers
/// (torch's, CUDA's, the standard library's) are allowed. Allowed on purpose: `cudaStream_t`,
/// `cudaSetDevice(t.device().index())`, `extern __shared__`, and the words `time`, `thread`,
/// `exit`, ... as variable names (not as calls or `std::` names). Returns the violations, each
/// "line N: ...". Pure; thread-safe.
[[nodiscard]] std::vector<std::string> hack_check_extension(std::string_view source);

}  // namespace kforge::hardware
