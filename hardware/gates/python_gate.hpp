#pragma once

// Gate 1 for KernelBench candidates: Python that carries C++ and CUDA in strings and runs
// inside the trusted harness's process, so what it may reach is all that keeps it from the
// harness's comparison and timing. The parser is Python's own: hardware/kernelbench/gate.py
// parses the candidate (NFKC-normalised, as Python's tokenizer reads identifiers) with `ast`
// in kforge's sandbox and reports; this file judges that report.

#include "runtime/base/task.hpp"
#include "runtime/base/verdict.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace kforge::hardware {

/// What the KernelBench gate found in one candidate.
struct python_gate_report {
  std::vector<std::string> violations;  ///< each "line N: ..." (the candidate's lines)
  std::string bypass;                   ///< why ModelNew launches no kernel of its own; empty when it does
};

/// Judges gate.py's JSON report. gate.py's rules, on nodes of the parsed candidate:
/// - imports: torch, torch.nn, torch.nn.functional, torch.nn.init, torch.utils.cpp_extension
///   (from it only load_inline), math, typing, os;
/// - names: exec, eval, compile, open, __import__, globals, locals, vars, getattr, setattr,
///   delattr, breakpoint, exit, quit, memoryview, `input` as the builtin (a parameter or local of
///   that name is fine), dunder names and attributes other than __init__, __name__, __doc__,
///   __file__ and a few more, frame and code attributes (_getframe, f_back, f_globals, ...);
/// - attributes, wherever they are: streams, events and graphs (Stream, stream, Event,
///   elapsed_time, CUDAGraph, graph, ...), loading other code (load, load_library, ops, library),
///   random state (manual_seed, seed, Generator, ...), torch's own compilers (compile, _dynamo,
///   _inductor); private parts of torch (`torch._x`), and of torch._C everything but its operator
///   namespaces (_nn, _fft, _linalg, _special, _VariableFunctions: plain ATen operators);
/// - os only as the environment read by key, os.environ written for TORCH_CUDA_ARCH_LIST,
///   MAX_JOBS, os.path's path functions, os.makedirs, os.cpu_count;
/// - assignments to attributes only of `self` (in a def whose first parameter is an unrebound
///   self), of `ctx` one level deep (autograd Functions) and torch.backends.cudnn.benchmark; no
///   module or class kept in an attribute (`self.t = torch.cuda`);
/// - load_inline called directly, its cpp_sources and cuda_sources string constants (names bound
///   only to constants, concatenations, lists are folded), compiler flags from a list of known
///   optimisation flags (-D definitions are judged as #define lines), linker flags -lcublas,
///   -lcudnn, ... only; f-strings are ordinary expressions whose parts are judged like any other;
/// - a module-level ModelNew.
/// Each load_inline source then goes through hack_check_extension (the native gate for torch
/// extensions). `bypass` is gate.py's judgement of ModelNew.forward: no call into a load_inline
/// extension (only torch ops), or every such call inside a try whose except falls back. A report
/// that is not gate.py's JSON is one violation. Pure; thread-safe.
[[nodiscard]] python_gate_report judge_python_gate(std::string_view report_json);

/// The hack gate's result of a report: passed when there are no violations; the detail lists
/// the first 8.
[[nodiscard]] gate_result python_gate_result(const python_gate_report& report);

}  // namespace kforge::hardware
