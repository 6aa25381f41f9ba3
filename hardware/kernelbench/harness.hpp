#pragma once

// The trusted KernelBench harness (harness.py, built in) and what kforge
// reads back from it: the result channel and the JSON result it carries.
// Every field of that result is read as data a hostile candidate might have
// shaped: a field of the wrong type is a reason, never an exception.

#include "hardware/channel/result_channel.hpp"
#include "runtime/base/error.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kforge::hardware {

/// The text of the trusted Python harness, hardware/kernelbench/harness.py.
[[nodiscard]] std::string kernelbench_harness_source();

/// Parses a KernelBench harness channel with parse_records: exactly one
/// result record (record_type::json_result, index 0) and the end record,
/// both with `nonce`. Returns the JSON payload. Errors: errc::io_failed whose
/// context completes "the result channel ...".
[[nodiscard]] caf::expected<std::string> parse_kernelbench_channel(std::string_view bytes,
                                                                   const run_nonce& nonce);

/// The JSON result of one harness run, field by field. Absent fields keep
/// these defaults.
struct kernelbench_result {
  bool has_error = false;          ///< the harness caught an exception
  std::string error;               ///< "<type>: <message>" of that exception
  std::string traceback;           ///< its traceback
  bool built = false;              ///< build mode: the candidate imported and defines ModelNew
  bool correct = false;            ///< candidate mode: every trial matched
  std::string detail;              ///< candidate mode: what the trials found
  bool has_detail = false;         ///< `detail` was reported
  double max_abs_error = 0;        ///< largest difference over the trials (0 when unknown)
  std::vector<uint64_t> times_ns;  ///< timed runs (ns), in order
  std::string device_name;         ///< the GPU's name
  std::string bypass;              ///< candidate mode: why no kernel of the candidate's own ran
};

/// Decodes the harness's JSON result. Errors: errc::io_failed "reported no
/// JSON result" (not JSON, not an object) or "reported a bad result: field
/// 'times_ms' ..." (a field of the wrong type, a negative or non-finite
/// time). Never throws.
[[nodiscard]] caf::expected<kernelbench_result> decode_kernelbench_result(std::string_view json);

}  // namespace kforge::hardware
