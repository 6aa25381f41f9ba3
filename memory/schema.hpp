#pragma once

// Layout of the kforge store: one LMDB environment holding the named tables below.
//
// Notation: "\0" is one zero byte; u64be is 8 bytes big-endian, so byte order is
// numeric order; ids and hashes are non-empty and never contain "\0"; a field
// marked ! is required when decoding, every other field defaults when absent.
//
//   value            = version json                ; version: 1 byte, memory::schema_version
//                                                   ;   of the writer (records.hpp); json: UTF-8 text
//                    | version tag compact crc     ; version >= 2: campaigns, tasks, candidates and
//                                                   ;   memory items (compact_codec.hpp). tag: 1 byte,
//                                                   ;   1 campaign 2 task 3 candidate 4 memory item;
//                                                   ;   compact: the record's fields in the order of its
//                                                   ;   inspect overload (binary_codec.hpp); crc: CRC-32
//                                                   ;   of tag and compact, 4 bytes little-endian.
//                                                   ;   The JSON rules below name the same fields; a
//                                                   ;   version 1 store holds only JSON, and is read as it is
//   table            key                                   value json
//   campaigns        campaign-id                           campaign_record
//   tasks            campaign-id "\0" task-id              task_record
//   candidates       candidate-hash (64 lowercase hex)     candidate_record
//   task_candidates  campaign-id "\0" task-id "\0" seq     candidate-hash as a JSON string
//                    (seq = u64be, the candidate's 0-based evaluation index in its task)
//   memory           item-id                               memory_item
//   llm_calls        request-hash                          llm_call_record
//                    (a call that failed for good: request-hash "/failed/" ms "/" call-id, so
//                     that it is never replayed nor overwritten by a later success)
//   meta             meta-key (text)                       a JSON string
//   texts            text-hash (64 lowercase hex)          text_value (not JSON, see below)
//                    (text-hash = SHA-256 of the text: one entry per distinct prompt, shared by calls)
//   verdicts         verdict-key (64 lowercase hex)        candidate-hash as a JSON string
//                    (verdict-key = SHA-256 of backend build signature, task definition hash
//                     and source: the verifier's persistent verdict cache)
//   references       reference-key (64 lowercase hex)      reference_value (not JSON alone, see below)
//                    (reference-key = SHA-256 of backend build signature, device and task id:
//                     reference_key(); one entry per task and device, replaced when the task's
//                     definition changes, so a stale one is never used and never piles up)
//
//   meta-key         = "schema_version"                    ; decimal schema version of the store
//                    | "peak/" device "/" metric           ; measured machine peak, e.g. "peak/cpu/gflops"
//                                                           ;   metric: gflops (f64 text), bandwidth (JSON
//                                                           ;   [[bytes, gbps], ...]), signature, measured_ms
//                    | "memory_from/" sha256(path)         ; a snapshot whose memory items were imported
//                    | "config/" campaign-id               ; config hashes and other free-form strings
//
//   campaign_record  = {"id": str!, "config_path": str, "config_hash": str, "config_text": str,
//                       "status": str, "seed": u64, "evaluations": i64, "created_ms": i64,
//                       "updated_ms": i64, "wall_ms": f64}
//   task_record      = {"campaign": str!, "task_id": str!, "definition_hash": str, "family": str,
//                       "backend": str, "phase": str, "stop_reason": str, "best_hash": str,
//                       "best_latency_ns": f64, "best_ci_ns": f64, "reference_latency_ns": f64,
//                       "evaluations": i64,
//                       "feasible": i64, "step": i64, "since_improvement": i64, "reward_count": i64,
//                       "reward_mean": f64, "reward_m2": f64, "updated_ms": i64,
//                       "final_hash": str, "final_reference_ns": f64, "final_latency_ns": f64,
//                       "final_rounds": i32, "final_detail": str}
//   candidate_record = {"hash": str!, "campaign": str!, "task_id": str!, "seq": i64!, "source": str,
//                       "parents": [str], "stage": str, "policy": str, "model": str,
//                       "context_ids": [str], "knobs": [knob_setting], "optimization": str,
//                       "verdict": verdict, "speedup_vs_ref": f64, "speedup_vs_parent": f64,
//                       "reward": f64, "perf_state": str, "device": str, "created_ms": i64,
//                       "technique": str, "call_id": str, "source_tail": str}
//                      (call_id = the llm_calls key of the completion it came from;
//                       source_tail = a texts key, or empty: the source is `source` followed by
//                       that text, which many candidates share (their template))
//   knob_setting     = {"name": str, "value": i64}
//   verdict          = {"feasible": bool, "failed_gate": str, "gates": [gate_result],
//                       "timing": timing_stats, "max_abs_error": f64, "compile_ms": f64,
//                       "run_ms": f64, "device": str, "reference_ns": f64, "flagged": bool,
//                       "first_timing": timing_stats, "timings_disagree": bool}
//   gate_result      = {"gate": str, "passed": bool, "detail": str}
//   timing_stats     = {"median_ns": f64, "min_ns": f64, "mean_ns": f64, "stddev_ns": f64, "count": i32,
//                       "ci_half_ns": f64, "converged": bool, "noisy": bool}
//   memory_item      = {"id": str!, "kind": str, "family": str, "state": str, "tags": [str],
//                       "text": str, "payload": str, "q1": f64, "q2": f64, "visits1": i64,
//                       "visits2": i64, "source_tasks": [str], "created_ms": i64, "updated_ms": i64,
//                       "samples": i64, "mean_speedup": f64, "feasible_samples": i64, "retired": bool}
//   llm_call_record  = {"request_hash": str!, "campaign": str, "task_id": str, "endpoint": str,
//                       "model": str, "tokens_in": i64, "tokens_out": i64, "latency_ms": f64,
//                       "cost": f64, "outcome": str, "attempts": i32, "response": str,
//                       "created_ms": i64, "stage": str, "errors": [str], "choice": str,
//                       "kernels": i32, "usable": i32, "system_text": str, "user_text": str}
//                      (response = JSON array of the completions' texts, kept inline: each is
//                       unique to its call, and the response cache replays it from here;
//                       system_text, user_text = texts keys of the prompt, written in the same
//                       write transaction as the call; empty in stores older than the table)
//   reference_value  = version u64be(size) reference_header data   ; size = bytes of the header
//   reference_header = {"task_id": str!, "device": str, "signature": str, "reference_hash": str,
//                       "timing": timing_stats, "created_ms": i64}   ; as JSON, without a version byte
//                      (data = the backend's reference data, opaque bytes: the CPU backend's outputs
//                       per seed, hardware/native/reference_cache.cpp)
//   text_value       = version "t" utf8-text            ; stored as is (below 1024 bytes)
//                    | version "z" u64be(size) deflate  ; zlib stream of the size-byte text
//
//   str = JSON string (invalid UTF-8 is stored as U+FFFD); i64, i32, u64 = JSON integer in range;
//   f64 = JSON number, or one of the strings "nan", "inf", "-inf"; bool = true | false.
//   Unknown fields are ignored, so an older reader can read a newer writer's records of the same version.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace kforge::memory {

/// The named tables of the store, in the order `env` opens them.
enum class table : uint8_t {
  campaigns,
  tasks,
  candidates,
  task_candidates,
  memory,
  llm_calls,
  meta,
  verdicts,
  texts,
  references,
};

/// Number of tables in `table`.
inline constexpr std::size_t table_count = 10;

/// LMDB database names, indexed by `table`.
inline constexpr std::array<const char*, table_count> table_names = {
    "campaigns", "tasks", "candidates", "task_candidates", "memory",
    "llm_calls", "meta",  "verdicts",   "texts",           "references",
};

/// Returns the LMDB name of `t`, e.g. "task_candidates".
[[nodiscard]] constexpr const char* table_name(table t) noexcept {
  return table_names[static_cast<std::size_t>(t)];
}

/// Meta key holding the store's schema version as decimal text.
inline constexpr std::string_view meta_schema_version = "schema_version";

/// Separator between the parts of a composite key.
inline constexpr char key_separator = '\0';

/// Appends `value` as 8 bytes big-endian to `out`.
inline void append_u64be(std::string& out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>(static_cast<unsigned char>((value >> shift) & 0xffU)));
  }
}

/// Reads 8 bytes big-endian from the start of `bytes`; `bytes` must hold at least 8 bytes.
[[nodiscard]] inline uint64_t read_u64be(std::string_view bytes) noexcept {
  uint64_t value = 0;
  for (std::size_t i = 0; i < 8 && i < bytes.size(); ++i) {
    value = (value << 8U) | static_cast<unsigned char>(bytes[i]);
  }
  return value;
}

/// True if `id` can be part of a key: non-empty and free of "\0".
[[nodiscard]] inline bool is_valid_id(std::string_view id) noexcept {
  return !id.empty() && id.find(key_separator) == std::string_view::npos;
}

/// Prefix of every `tasks` key and every `task_candidates` key of `campaign`: campaign "\0".
[[nodiscard]] inline std::string campaign_prefix(std::string_view campaign) {
  std::string key{campaign};
  key.push_back(key_separator);
  return key;
}

/// Key of a task in `tasks`: campaign "\0" task-id.
[[nodiscard]] inline std::string task_key(std::string_view campaign, std::string_view task_id) {
  std::string key = campaign_prefix(campaign);
  key.append(task_id);
  return key;
}

/// Prefix of the `task_candidates` keys of one task: campaign "\0" task-id "\0".
[[nodiscard]] inline std::string task_candidates_prefix(std::string_view campaign, std::string_view task_id) {
  std::string key = task_key(campaign, task_id);
  key.push_back(key_separator);
  return key;
}

/// Key of one `task_candidates` entry: campaign "\0" task-id "\0" u64be(seq). `seq` must be >= 0.
[[nodiscard]] inline std::string task_candidate_key(std::string_view campaign, std::string_view task_id,
                                                    int64_t seq) {
  std::string key = task_candidates_prefix(campaign, task_id);
  append_u64be(key, static_cast<uint64_t>(seq));
  return key;
}

/// Renders a key for error messages and logs: "\0" becomes "/", other bytes outside
/// printable ASCII become "\xNN".
[[nodiscard]] inline std::string printable_key(std::string_view key) {
  static constexpr std::string_view hex = "0123456789abcdef";
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte == 0) {
      out.push_back('/');
    } else if (byte < 0x20 || byte >= 0x7f) {
      out += "\\x";
      out.push_back(hex[byte >> 4U]);
      out.push_back(hex[byte & 0xfU]);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace kforge::memory
