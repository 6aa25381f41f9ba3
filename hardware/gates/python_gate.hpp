#pragma once

// Gate 1 for KernelBench candidates: Python that carries CUDA in strings and
// runs inside the trusted harness's process, so what it may name is all that
// keeps it from the harness's comparison functions. A table of forbidden
// names, each group with the reason a verdict gives.

#include "runtime/base/task.hpp"
#include "runtime/base/verdict.hpp"

#include <string_view>

namespace kforge::hardware {

/// Gate 1 for KernelBench candidates (Python with CUDA in strings). Outside
/// string literals: imports other than torch, torch.nn, torch.nn.functional,
/// torch.utils.cpp_extension and math; introspection and escape hatches (os,
/// sys, gc, inspect, ctypes, subprocess, importlib, builtins, threading,
/// signal, time, socket, pickle, exec, eval, compile, open, __import__,
/// globals, locals, vars, getattr, setattr, delattr, dunder attributes such as
/// __dict__ or __class__, _getframe, f_back); streams of its own, events and
/// graphs (Stream, stream, ExternalStream, set_stream, Event, CUDAGraph;
/// synchronizing the current stream is allowed); the random state
/// (manual_seed, seed, Generator); loading other code (load, load_library,
/// ops, _C); and
/// assignments to attributes of anything but `self` (monkey-patching). In the
/// whole text (the CUDA sources too): everything hack_check_cuda forbids by
/// name (streams, events, graphs, clocks, the driver API, device state) and
/// inline assembly, and ATen's side streams, stream guards, events and graphs
/// (getStreamFromPool, CUDAStreamGuard, CUDAEvent, CUDAGraph, ...). Allowed on
/// purpose: comments (Python's, and C/C++ comments inside string literals that
/// no escape could end early); `input` as a parameter; `ctx.x = ...` in a def
/// whose first parameter is an unrebound `ctx`; `torch.backends.cudnn.benchmark
/// = ...`; `cudaSetDevice(t.device().index())` and `cudaSetDevice(t.get_device())`;
/// `cudaStream_t`; library names such as cuDNN and cuBLAS. The source must
/// define ModelNew. Pure; thread-safe.
[[nodiscard]] gate_result hack_check_python(const task_def& task, std::string_view source);

}  // namespace kforge::hardware
