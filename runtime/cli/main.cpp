// kforge: evolves compute kernels in long, resumable campaigns.

#include "runtime/base/log.hpp"
#include "runtime/cli/commands.hpp"
#include "runtime/cli/exit_codes.hpp"

#include <CLI/CLI.hpp>

#include <malloc.h>
#ifdef KFORGE_TCMALLOC
#include <gperftools/malloc_extension_c.h>
#endif
#include <sys/stat.h>

#include <cstdlib>
#include <iostream>
#include <string>

namespace {

// The first word of the command line that names no subcommand (skipping the global options and
// their values), or "" when the command is known or absent.
std::string unknown_command(CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string word = argv[i];
    if (word == "--log-level" || word == "--log-file") {
      ++i;
      continue;
    }
    if (word.empty() || word[0] == '-')
      continue;
    auto known = app.get_subcommands([&](CLI::App* sub) { return sub->get_name() == word; });
    return known.empty() ? word : std::string{};
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  using namespace kforge;
  // Blocks of 256 KiB and more (tensors, reference outputs, store values) get pages of their own and
  // give them back when freed. glibc's default threshold rises with every such free, after which they
  // stay in the heap: a campaign's resident size grew with its tasks, and every sandboxed compile or
  // run forks this process, copying its page tables (docs/bench-scale.md).
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  mallopt(M_TRIM_THRESHOLD, 4 * 1024 * 1024);
#ifdef KFORGE_TCMALLOC
  // The same for tcmalloc (the build's allocator when installed; mallopt is then a no-op): it keeps
  // freed spans for reuse and hands them back to the system slowly, and a launch at a million memory
  // items frees hundreds of MB of the check walk's and the index builds' transients. Decommitted at
  // once, the launch's resident peak is 890 MB instead of 1,059 (glibc's: 924), at no throughput cost
  // (docs/bench-scale.md section 9). TCMALLOC_AGGRESSIVE_DECOMMIT in the environment still decides.
  if (std::getenv("TCMALLOC_AGGRESSIVE_DECOMMIT") == nullptr)
    MallocExtension_SetNumericProperty("tcmalloc.aggressive_memory_decommit", 1);
#endif
  // The work directory's files (precompiled headers, harness objects, reference inputs) are read by
  // sandboxed programs under uids of their own, so they must be readable by others: a umask of 077
  // (a hardened login, a service unit) made every compile fail with "Permission denied". Group and
  // others keep whatever write bits the caller masked; the store stays 0700 whatever the umask.
  ::umask(::umask(0) & 0022);
  CLI::App app{"kforge: evolves compute kernels in long, resumable campaigns"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string{"kforge "} + KFORGE_VERSION);
  std::string log_level = "warning";
  std::string log_file;
  app.add_option("--log-level", log_level, "debug, info, warning, error or off (default: warning)");
  app.add_option("--log-file", log_file, "append log lines to this file instead of stderr");

  runtime::run_options run_opts;
  std::string store_path;
  auto* run =
      app.add_subcommand("run", "run a campaign in the foreground (continues it if the store has it)");
  run->add_option("config", run_opts.config, "campaign config (TOML)")->required()->check(CLI::ExistingFile);
  run->add_option("--store", store_path, "store directory (overrides [store] path)");
  run->add_flag("--no-progress", "print plain progress lines instead of the live table");
  run->add_option("--threads", run_opts.threads, "scheduler threads (default: cores, at least 2)");
  std::string memory_from;
  run->add_option("--memory-from", memory_from,
                  "start warm from the memory items of another store or snapshot (overrides [memory] from)");
  run->add_flag("--measure-peaks", "measure the machine peaks again instead of using the cached ones");

  runtime::run_options resume_opts;
  auto* resume = app.add_subcommand("resume", "continue an unfinished campaign from its store alone");
  resume->add_option("--store", store_path, "store directory")->required();
  resume->add_option("--campaign", resume_opts.campaign, "campaign name (default: the only unfinished one)");
  resume->add_flag("--no-progress", "print plain progress lines instead of the live table");

  runtime::status_options status_opts;
  auto* status =
      app.add_subcommand("status", "show where the store's campaigns stand, without running anything");
  status->add_option("--store", store_path, "store directory")->required();
  status->add_option("--campaign", status_opts.campaign, "only this campaign");
  status->add_flag("--json", status_opts.json, "one JSON array of campaigns instead of text");

  runtime::daemon_options daemon_opts;
  std::string daemon_store;
  std::string daemon_static;
  std::string daemon_port_file;
  std::string daemon_listen;
  int32_t daemon_port = -1;
  int64_t daemon_threads = -1;
  auto* daemon =
      app.add_subcommand("daemon", "run every campaign of a directory, with the HTTP API and dashboard");
  daemon->add_option("--config", daemon_opts.campaigns,
                     "campaign file or directory of *.toml campaign files");
  daemon->add_option("--daemon-config", daemon_opts.daemon_config, "TOML file with a [daemon] table")
      ->check(CLI::ExistingFile);
  daemon->add_option("--store", daemon_store, "store directory (overrides [daemon] store)");
  daemon->add_option("--listen", daemon_listen, "API address (default 127.0.0.1; others need a token)");
  daemon->add_option("--port", daemon_port, "API port (default 8080; 0 = any free port)");
  daemon->add_option("--static-dir", daemon_static, "dashboard files (default: installed or source copy)");
  daemon->add_option("--port-file", daemon_port_file, "write the bound API port to this file");
  daemon->add_option("--threads", daemon_threads, "scheduler threads (default: cores, at least 2)");
  std::string snapshot_out;
  auto* snapshot = app.add_subcommand(
      "snapshot", "write a consistent, compacted copy of a store (safe while a campaign runs)");
  snapshot->add_option("out", snapshot_out, "new directory for the copy (absent or empty)")->required();
  snapshot->add_option("--store", store_path, "store directory")->required();

  runtime::memory_options mem_opts;
  auto* memory = app.add_subcommand("memory", "the memory items of a store: inspect or export");
  memory->require_subcommand(1);
  auto* inspect = memory->add_subcommand("inspect", "list memory items with their values");
  inspect->add_option("--store", store_path, "store directory")->required();
  inspect->add_option("--kind", mem_opts.kind, "only seed, trajectory, optimization, insight or technique")
      ->check(CLI::IsMember({"seed", "trajectory", "optimization", "insight", "technique"}));
  inspect->add_option("--family", mem_opts.family, "only this operator family");
  inspect->add_option("--limit", mem_opts.limit, "rows at most (default 50; 0 = all)");
  inspect->add_option("--sort", mem_opts.sort, "q (default), visits or kind")
      ->check(CLI::IsMember({"q", "visits", "kind"}));
  inspect->add_flag("--retired", mem_opts.retired, "include retired items");
  auto* mexport = memory->add_subcommand("export", "write every memory item as one JSON line");
  mexport->add_option("--store", store_path, "store directory")->required();
  mexport->add_option("--out", mem_opts.out, "output file (default: stdout)");

  auto* cexport = app.add_subcommand("export", "write a store's candidates (trajectories) as JSON lines");
  cexport->add_option("--store", store_path, "store directory")->required();
  cexport->add_option("--campaign", mem_opts.campaign, "only this campaign");
  cexport->add_option("--out", mem_opts.out, "output file (default: stdout)");
  cexport->add_flag("--sources", mem_opts.sources, "include kernel sources (--format candidates)");
  cexport->add_option("--format", mem_opts.format,
                      "candidates (default), calls (every LLM call with prompt and completions), steps "
                      "(one line per refine step: prompt, completion, parent and child, gain) or tasks "
                      "(one line per task record: best, and the best re-measured at the end, final_*)");
  cexport->add_flag("--correct-only", mem_opts.correct_only,
                    "steps: only where parent and child are feasible");
  cexport->add_flag("--above-noise", mem_opts.above_noise,
                    "steps: only where the gain's lower bound is above 1");

  runtime::show_options show_opts;
  auto* show =
      app.add_subcommand("show", "one candidate: verdict, context, and the LLM call that produced it");
  show->add_option("candidate", show_opts.candidate, "candidate hash or a unique prefix of it")->required();
  show->add_option("--store", store_path, "store directory")->required();
  show->add_flag("--json", show_opts.json, "one JSON object instead of text");

  auto* llm = app.add_subcommand("llm", "the LLM calls on record");
  llm->require_subcommand(1);
  auto* llm_calls = llm->add_subcommand("calls", "one row per LLM call, oldest first");
  llm_calls->add_option("--store", store_path, "store directory")->required();
  llm_calls->add_option("--campaign", show_opts.campaign, "only this campaign");
  llm_calls->add_option("--task", show_opts.task, "only this task");
  llm_calls->add_option("--limit", show_opts.limit, "the latest rows at most (default 50; 0 = all)");
  auto* llm_show =
      llm->add_subcommand("show", "one LLM call: its prompt, every completion and the candidates it gave");
  llm_show->add_option("call", show_opts.candidate, "call id (as llm calls prints it) or a unique prefix")
      ->required();
  llm_show->add_option("--store", store_path, "store directory")->required();
  llm_show->add_flag("--json", show_opts.json, "one JSON object instead of text");

  runtime::best_options best_opts;
  std::string best_out;
  auto* best = app.add_subcommand("best", "write each task's best kernel to a file, with a summary table");
  best->add_option("--store", store_path, "store directory")->required();
  best->add_option("--campaign", best_opts.campaign, "campaign name (default: the store's only one)");
  best->add_option("--out", best_out, "directory; the files go to OUT/<campaign>/")->required();
  best->add_flag("--json", best_opts.json, "print the summary as one JSON object instead of text");
  best->add_flag("--force", best_opts.force, "write into a non-empty OUT/<campaign>");

  runtime::store_options store_opts;
  std::string salvage_out;
  auto* store_cmd =
      app.add_subcommand("store", "a damaged store: check what reads, salvage it into a new one");
  store_cmd->require_subcommand(1);
  auto* store_check =
      store_cmd->add_subcommand("check", "read every record of every table; list the ones that fail");
  store_check->add_option("--store", store_path, "store directory")->required();
  store_check->add_flag("--json", store_opts.json, "one JSON object instead of text");
  auto* store_salvage =
      store_cmd->add_subcommand("salvage", "copy every readable record into a new store OUT");
  store_salvage->add_option("out", salvage_out, "new directory for the copy (absent or empty)")->required();
  store_salvage->add_option("--store", store_path, "store directory")->required();

  runtime::verify_options verify_opts;
  auto* verify = app.add_subcommand(
      "verify", "the full verdict of one candidate file for a task, without a campaign or a store");
  verify->add_option("file", verify_opts.file, "candidate source (C++, CUDA C++, or a ModelNew .py file)")
      ->required();
  verify->add_option("--task", verify_opts.task, "task file (.toml) or KernelBench problem (.py)")
      ->required();
  verify->add_option("--device", verify_opts.device, "cpu, cuda or cuda:N (default: the task's own)");
  verify
      ->add_option("--config", verify_opts.config,
                   "campaign file whose [verifier], [cuda] and [kernelbench] settings apply")
      ->check(CLI::ExistingFile);
  verify->add_flag("--json", verify_opts.json, "one JSON object instead of text");

  runtime::worker_options worker_opts;
  auto* worker = app.add_subcommand(
      "worker", "offer this host's verifier pools to a coordinator ([workers] listen) over the network");
  worker->add_option("--connect", worker_opts.connect, "the coordinator's HOST:PORT")->required();
  worker->add_option("--device", worker_opts.device,
                     "cpu (default), cuda, cuda:N, cuda:all (one pool per GPU), null or null:sleep=MS");
  worker->add_option("--slots", worker_opts.slots, "jobs in flight per pool (default 2)");
  worker->add_option("--secret-file", worker_opts.secret_file, "file holding the campaign secret")
      ->required()
      ->check(CLI::ExistingFile);
  worker
      ->add_option("--config", worker_opts.config,
                   "campaign file whose [verifier], [cuda] and [kernelbench] settings apply")
      ->check(CLI::ExistingFile);
  worker->add_option("--work-dir", worker_opts.work_dir, "build directory (default: a fresh one in $TMPDIR)");
  worker->add_option("--name", worker_opts.name, "name in the coordinator's log (default: host:pid)");
  worker->add_flag("--plaintext", worker_opts.plaintext,
                   "connect without TLS (to a coordinator with [workers] tls = false)");
  worker->add_option("--threads", worker_opts.threads, "scheduler threads (default: cores, at least 2)");
  worker
      ->add_option(
          "--silence-ms", worker_opts.silence_ms,
          "start afresh when a connect and join takes this long or the coordinator has not called on "
          "this worker for this long (default 30000; keep it above the coordinator's [workers] "
          "deadline_ms)")
      ->check(CLI::Range(int64_t{100}, int64_t{86400000}));
  runtime::tasks_check_options check_opts;
  auto* tasks = app.add_subcommand("tasks", "task files");
  tasks->require_subcommand(1);
  auto* tasks_check =
      tasks->add_subcommand("check", "parse task files and build and run each reference on its device");
  tasks_check->add_option("paths", check_opts.paths, "task files or directories of them")->required();
  tasks_check->add_option("--device", check_opts.device, "cpu, cuda or cuda:N (default: each task's own)");
  tasks_check->add_option("--config", check_opts.config, "campaign file whose [verifier] settings apply")
      ->check(CLI::ExistingFile);
  tasks_check->add_flag("--parse-only", check_opts.parse_only, "only parse; run no reference");

  // A usage error (unknown option, missing argument, a value outside its choices) exits 2 like a bad
  // config, whatever CLI11's own code for it; --help and --version exit 0.
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (auto word = unknown_command(app, argc, argv); !word.empty()) {
      std::cerr << "kforge: unknown command '" << word << "' (kforge --help lists the commands)\n";
      return runtime::exit_usage;
    }
    return app.exit(e) == 0 ? runtime::exit_ok : runtime::exit_usage;
  }

  log::level lvl{};
  if (!log::parse_level(log_level, lvl)) {
    std::cerr << "kforge: --log-level: unknown level '" << log_level << "'\n";
    return 2;
  }
  log::set_level(lvl);
  if (!log_file.empty() && !log::set_file(log_file)) {
    std::cerr << "kforge: --log-file: cannot open '" << log_file << "'\n";
    return 2;
  }

  if (run->parsed()) {
    if (!store_path.empty())
      run_opts.store = store_path;
    run_opts.progress = run->count("--no-progress") == 0;
    if (!memory_from.empty())
      run_opts.memory_from = memory_from;
    run_opts.measure_peaks = run->count("--measure-peaks") > 0;
    return runtime::run_command(run_opts);
  }
  if (resume->parsed()) {
    resume_opts.store = store_path;
    resume_opts.progress = resume->count("--no-progress") == 0;
    return runtime::resume_command(resume_opts);
  }
  if (daemon->parsed()) {
    if (!daemon_store.empty())
      daemon_opts.store = daemon_store;
    if (!daemon_listen.empty())
      daemon_opts.listen = daemon_listen;
    if (daemon_port >= 0)
      daemon_opts.port = daemon_port;
    if (!daemon_static.empty())
      daemon_opts.static_dir = daemon_static;
    if (!daemon_port_file.empty())
      daemon_opts.port_file = daemon_port_file;
    if (daemon_threads >= 0)
      daemon_opts.threads = daemon_threads;
    return runtime::daemon_command(daemon_opts);
  }
  if (best->parsed()) {
    best_opts.store = store_path;
    best_opts.out = best_out;
    return runtime::best_command(best_opts);
  }
  if (store_check->parsed() || store_salvage->parsed()) {
    store_opts.store = store_path;
    store_opts.out = salvage_out;
    return store_check->parsed() ? runtime::store_check_command(store_opts)
                                 : runtime::store_salvage_command(store_opts);
  }
  if (verify->parsed())
    return runtime::verify_command(verify_opts);
  if (worker->parsed()) {
    worker_opts.argv.assign(argv, argv + argc);  // to start afresh with (worker_command)
    return runtime::worker_command(worker_opts);
  }
  if (tasks_check->parsed())
    return runtime::tasks_check_command(check_opts);
  if (snapshot->parsed())
    return runtime::snapshot_command(store_path, snapshot_out);
  if (show->parsed() || llm_calls->parsed() || llm_show->parsed()) {
    show_opts.store = store_path;
    if (llm_show->parsed())
      return runtime::llm_show_command(show_opts);
    return show->parsed() ? runtime::show_command(show_opts) : runtime::llm_calls_command(show_opts);
  }
  if (inspect->parsed() || mexport->parsed() || cexport->parsed()) {
    mem_opts.store = store_path;
    if (inspect->parsed())
      return runtime::memory_inspect_command(mem_opts);
    if (mexport->parsed())
      return runtime::memory_export_command(mem_opts);
    return runtime::export_command(mem_opts);
  }
  status_opts.store = store_path;
  return runtime::status_command(status_opts);
}
