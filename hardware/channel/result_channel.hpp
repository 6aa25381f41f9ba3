#pragma once

// The result channel: the one way a harness in the sandbox reports to the
// trusted verifier, and so the security boundary between a candidate and its
// verdict. Both harnesses (the native C++/CUDA one and the KernelBench Python
// one) write the same framing and are read by the one parser here,
// parse_records; only what their records mean differs (record_rules).
//
// Framing: "KFRECORD", the 16-byte per-run nonce, u32 type (record_type), u32
// index, u64 payload bytes, the payload (host byte order). The last record is
// the end record (type end, index 0): u64 records before it, i64 the one core
// the harness may run on (-1: not pinned). A channel is accepted only if it is
// exactly such records, each with this run's nonce, closed by the end record,
// with nothing before, between or after them.

#include "hardware/sandbox/unique_fd.hpp"
#include "runtime/base/error.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace kforge::hardware {

/// A per-run secret chosen by the verifier; every record must carry it.
using run_nonce = std::array<uint8_t, 16>;

/// Kinds of records on the result channel.
enum class record_type : uint32_t {
  outputs = 1,        ///< native, index = seed: the outputs of its correctness call
  inputs = 2,         ///< native, index = seed: the inputs as the correctness call left them
  timing = 3,         ///< native, index 0: per-call durations (ns)
  timed_outputs = 4,  ///< native, index = seed (1 or 2): the outputs of its last timed call
  end = 5,            ///< both, index 0: the harness finished
  json_result = 10,   ///< KernelBench, index 0: the harness's JSON result
};

/// Size of a record header: magic, nonce, type, index, payload size.
inline constexpr std::size_t record_header_bytes = 40;

/// Size of the end record's payload: record count and pinned core.
inline constexpr std::size_t end_payload_bytes = 16;

/// The name of the result channel file in the run directory (unlinked by the harness at start).
inline constexpr const char* channel_file = "channel";

/// What one harness's records mean: the part of a channel parse that differs
/// between harnesses. parse_records hands it every record but the end record.
class record_rules {
 public:
  virtual ~record_rules() = default;

  /// Takes one record whose header is valid; returns "" or why it is not
  /// acceptable ("seed 3 appears twice", "unknown record type 7").
  [[nodiscard]] virtual std::string take(uint32_t type, uint32_t index, std::string_view payload) = 0;

  /// Whether every record the harness must write came before the end record.
  [[nodiscard]] virtual bool complete() const = 0;
};

/// What the end record says beyond closing the channel.
struct channel_end {
  int pinned_cpu = -1;  ///< the core the harness ran on, -1 if it was not pinned
};

/// Parses and checks the framing of a result channel and hands each record to
/// `rules`. Pure; runs in the trusted process. Errors: errc::io_failed whose
/// context completes "the result channel ...": "is empty: ...", "holds bytes
/// that are not a harness record at byte 0 ...", "holds a record with a wrong
/// nonce at byte 120 ...", "has a bad outputs record at byte 40: ...", "holds
/// bytes after the end record ...", "has no end record ...".
[[nodiscard]] caf::expected<channel_end> parse_records(std::string_view bytes, const run_nonce& nonce,
                                                       record_rules& rules);

/// "the result channel <context of err>": the sentence a verdict carries.
[[nodiscard]] std::string channel_problem(const caf::error& err);

/// Makes a fresh nonce from the kernel's random source (getrandom).
/// Errors: errc::io_failed when no random bytes can be had.
[[nodiscard]] caf::expected<run_nonce> make_nonce();

/// The nonce as 32 lower-case hex digits (how the native harness receives it).
[[nodiscard]] std::string to_hex(const run_nonce& nonce);

/// Encodes one record as a harness writes it (for tests and tools).
[[nodiscard]] std::string encode_record(record_type type, uint32_t index, const run_nonce& nonce,
                                        std::string_view payload);

/// Encodes an end payload as a harness writes it.
[[nodiscard]] std::string encode_end(uint64_t records, int64_t pinned_cpu);

/// Creates the empty channel file before a run, mode 0666 (the harness may run
/// under another uid), and keeps a descriptor to it: the harness unlinks the
/// name. Errors: errc::io_failed naming the path.
[[nodiscard]] caf::expected<unique_fd> create_channel(const std::filesystem::path& path);

/// Reads the channel through the descriptor kept since before the run. More
/// than `cap` bytes is more than the harness ever writes: someone else wrote
/// to it. Errors: errc::io_failed whose context completes "the result channel ...".
[[nodiscard]] caf::expected<std::string> read_channel(int fd, std::size_t cap);

}  // namespace kforge::hardware
