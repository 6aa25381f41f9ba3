#pragma once

// The kforge subcommands, each a function from options to an exit code.
// Output goes to stdout (results) and stderr (errors); logging is separate.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kforge::runtime {

/// Options of `kforge run` / `kforge resume`.
struct run_options {
  std::filesystem::path config;                ///< run: the campaign file
  std::optional<std::filesystem::path> store;  ///< overrides the config's store path; resume: required
  std::string campaign;                        ///< resume: which unfinished campaign (default: the only one)
  bool progress = true;                        ///< live progress on stdout
  size_t threads = 0;                          ///< scheduler threads (0 = cores, at least 2)
  // Warm start and peaks.
  std::optional<std::filesystem::path> memory_from;  ///< overrides [memory] from
  bool measure_peaks = false;                        ///< measure the machine peaks again
};

/// `kforge run CONFIG`: runs (or continues) the campaign in the foreground, holding its owner lock
/// (a second run of the campaign is refused). Exit codes: exit_codes.hpp, run_exit_code.
[[nodiscard]] int run_command(const run_options& opts);

/// `kforge resume --store PATH`: continues an unfinished campaign from the
/// config stored with it; nothing but the store is needed. A store whose campaigns (or the one
/// named) are all finished exits 0 saying so; no such campaign exits 2.
[[nodiscard]] int resume_command(const run_options& opts);

/// `kforge snapshot OUT --store PATH`: a consistent, compacted copy of the
/// store, safe while a campaign runs in another process.
[[nodiscard]] int snapshot_command(const std::filesystem::path& store, const std::filesystem::path& out);

/// Options of `kforge memory inspect|export` and `kforge export`.
struct memory_options {
  std::filesystem::path store;
  std::string kind;                   ///< inspect: only this kind
  std::string family;                 ///< inspect: only this family
  size_t limit = 50;                  ///< inspect: rows at most (0 = all)
  bool retired = false;               ///< inspect: include retired items
  std::string sort = "q";             ///< inspect: q (the larger of Q1, Q2) | visits | kind
  std::string out;                    ///< export: file; empty = stdout
  std::string campaign;               ///< export: candidates of this campaign only
  bool sources = false;               ///< export: include kernel sources
  std::string format = "candidates";  ///< export: candidates | calls | steps | tasks
  bool correct_only = false;          ///< export steps: parent and child feasible
  bool above_noise = false;           ///< export steps: the gain's lower bound above 1
};

/// `kforge memory inspect --store PATH`: the memory items with their values, as a table.
[[nodiscard]] int memory_inspect_command(const memory_options& opts);

/// `kforge memory export --store PATH [--out FILE]`: every memory item as one JSON line.
[[nodiscard]] int memory_export_command(const memory_options& opts);

/// `kforge export --store PATH [--format candidates|calls|steps] [--campaign C] [--out FILE]`:
/// candidates (trajectories), LLM calls with prompt and completions, or refine steps (training
/// pairs) as JSON lines. Exit codes: 0, 2 bad input (no store, unknown format), 1 failure.
[[nodiscard]] int export_command(const memory_options& opts);

/// Options of `kforge show` and `kforge llm calls`.
struct show_options {
  std::filesystem::path store;
  std::string candidate;  ///< show: hash or unique prefix; llm show: the call id or prefix
  bool json = false;      ///< show: one JSON object instead of text
  std::string campaign;   ///< llm calls: only this campaign
  std::string task;       ///< llm calls: only this task
  size_t limit = 50;      ///< llm calls: the latest rows at most (0 = all)
};

/// `kforge show CANDIDATE --store PATH [--json]`: one candidate with its verdict, context and
/// the call (prompt and completion) that produced it. Exit codes: 0, 2 no store or a prefix
/// that matches no candidate or several, 1 failure.
[[nodiscard]] int show_command(const show_options& opts);

/// `kforge llm calls --store PATH [--campaign C] [--task T] [--limit N]`: one row per call.
[[nodiscard]] int llm_calls_command(const show_options& opts);

/// `kforge llm show CALL --store PATH [--json]`: one call (id or unique prefix, as `llm calls`
/// prints it) with its prompt, every completion and the candidates it produced. Exit codes as
/// show_command's.
[[nodiscard]] int llm_show_command(const show_options& opts);

/// Options of `kforge status`.
struct status_options {
  std::filesystem::path store;
  std::string campaign;  ///< only this campaign (an unknown name is an error)
  bool json = false;     ///< one JSON array of campaigns instead of text
};

/// `kforge status --store PATH [--campaign C] [--json]`: where the store's campaigns stand, without
/// running anything. A campaign whose record says running is shown `running` while a process holds
/// its owner lock (owner_lock.hpp), else `interrupted`. Exit codes: 0, 2 no store or no such
/// campaign, 5 the store cannot be read.
[[nodiscard]] int status_command(const status_options& opts);

/// Options of `kforge best`.
struct best_options {
  std::filesystem::path store;
  std::string campaign;       ///< empty: the store's only campaign
  std::filesystem::path out;  ///< the files go to OUT/<campaign>/
  bool json = false;          ///< print the summary as one JSON object instead of text
  bool force = false;         ///< write into a non-empty OUT/<campaign>
};

/// `kforge best --store PATH [--campaign C] --out DIR [--json] [--force]`: writes each task's best
/// candidate to OUT/<campaign>/<task>.<cpp|cu|py> and a table of them to SUMMARY.md (printed too).
/// Exit codes: 0, 2 no store, no such campaign, several and none named, or a non-empty
/// OUT/<campaign> without --force, 3 no task has a feasible candidate, 5 the store cannot be
/// read, 1 a file cannot be written.
[[nodiscard]] int best_command(const best_options& opts);

/// Options of `kforge store check` and `kforge store salvage`.
struct store_options {
  std::filesystem::path store;
  std::filesystem::path out;  ///< salvage: the new store (absent or an empty directory)
  bool json = false;          ///< check: one JSON object instead of text
};

/// `kforge store check --store PATH [--json]`: reads every record of every table, decoding it,
/// without writing anything; prints per table how many read fine and which failed (key, reason).
/// Exit codes: 0 clean, 5 damaged (the file, or records), 2 no store at PATH.
[[nodiscard]] int store_check_command(const store_options& opts);

/// `kforge store salvage --store PATH OUT`: copies every record that reads fine into a new store
/// OUT (never an existing non-empty directory), prints what it skipped, and checks OUT. Exit
/// codes: 0 copied (also when records were skipped), 2 no store at PATH or OUT not empty, 5
/// nothing readable or OUT does not check clean.
[[nodiscard]] int store_salvage_command(const store_options& opts);

/// Options of `kforge verify`.
struct verify_options {
  std::filesystem::path task;    ///< a task file (.toml) or a KernelBench problem (.py)
  std::filesystem::path file;    ///< the candidate: C++ / CUDA C++ source, or a ModelNew .py file
  std::string device;            ///< empty: the task's own ("cpu" for CPU tasks, else "cuda")
  std::filesystem::path config;  ///< optional campaign file whose [verifier], [cuda], [kernelbench] apply
  bool json = false;             ///< one JSON object instead of text
};

/// `kforge verify FILE --task T [--device D] [--config C] [--json]`: the full verdict of one
/// candidate (each gate with its detail, timing statistics, speedup over the reference), with
/// no campaign and no store. Exit codes: 0 every gate passed, 3 hack gate, 4 compile, 5
/// correctness, 6 latency (crashed or timed out while timed), 2 bad input (task file, candidate
/// file, device, no CUDA device, a reference that fails), 1 kforge's own failure.
[[nodiscard]] int verify_command(const verify_options& opts);

/// Options of `kforge tasks check`.
struct tasks_check_options {
  std::vector<std::filesystem::path> paths;  ///< task files, or directories of *.toml / *.py
  std::string device;                        ///< empty: each task's own
  std::filesystem::path config;              ///< optional campaign file (verifier settings)
  bool parse_only = false;                   ///< parse only; build and run no reference
};

/// `kforge tasks check PATH... [--device D] [--parse-only]`: parses every task file, builds and
/// runs each reference on its device, one line per file. Exit codes: 0 no problem (tasks whose
/// device is absent are listed as not run), 2 a file with a problem, 1 kforge's own failure.
[[nodiscard]] int tasks_check_command(const tasks_check_options& opts);

/// Options of `kforge daemon`; flags override the [daemon] table of `daemon_config`.
struct daemon_options {
  std::filesystem::path campaigns;      ///< --config: a campaign file or a directory of them
  std::filesystem::path daemon_config;  ///< --daemon-config: TOML with a [daemon] table (optional)
  std::optional<std::filesystem::path> store;
  std::optional<std::string> listen;
  std::optional<int32_t> port;
  std::optional<std::filesystem::path> static_dir;
  std::optional<std::filesystem::path> port_file;
  std::optional<int64_t> threads;
};

/// `kforge daemon --config FILE|DIR`: runs every campaign there until SIGTERM / SIGINT,
/// with the HTTP API and dashboard. Exit codes: 0 stopped cleanly, 2 bad input, 5 the store does
/// not open, 1 another failure.
[[nodiscard]] int daemon_command(const daemon_options& opts);

/// Options of `kforge worker`.
struct worker_options {
  std::string connect;         ///< the coordinator's HOST:PORT ([workers] listen)
  std::string device = "cpu";  ///< cpu, null, null:sleep=MS, cuda, cuda:N or cuda:all (one pool per GPU)
  int32_t slots = 0;           ///< jobs in flight per pool (0 = 2)
  std::filesystem::path secret_file;  ///< the campaign secret
  std::filesystem::path config;    ///< optional campaign file whose [verifier], [cuda], [kernelbench] apply
  std::filesystem::path work_dir;  ///< builds; empty = a fresh directory under $TMPDIR, removed at exit
  std::string name;                ///< shown in the coordinator's log; empty = host:pid
  bool plaintext = false;          ///< connect without TLS (a coordinator with [workers] tls = false)
  size_t threads = 0;              ///< scheduler threads (0 = cores, at least 2)
  int64_t silence_ms = 30000;      ///< start afresh after the coordinator has not called this long
  std::vector<std::string> argv;   ///< the command line, to start afresh with; empty = exit instead
};

/// `kforge worker --connect HOST:PORT --device D --secret-file F`: offers this host's verifier
/// pools to a coordinator and verifies what it is sent until SIGTERM / SIGINT; reconnects
/// (with backoff) when the coordinator goes away: the process starts afresh (execs its own
/// command line), also when a connect and join takes longer than silence_ms or the coordinator
/// has not called on its pools (heartbeat or job) for that long. Exit codes: 0 stopped, 2 bad input or the
/// join refused (wrong secret, on either side), 1 another failure.
[[nodiscard]] int worker_command(const worker_options& opts);

/// Removes the default work directories (`kforge-worker-PID`) under `parent` that belong to this
/// user and to no living process: a worker that was SIGKILLed or ran out of memory cannot remove
/// its own (tens of MB: precompiled headers, binaries). A directory whose process id is alive,
/// whoever now holds that id, stays. Returns how many it removed. Each worker runs it as it starts.
size_t remove_dead_worker_dirs(const std::filesystem::path& parent);

}  // namespace kforge::runtime
