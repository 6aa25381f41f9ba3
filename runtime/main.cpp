// kforge: evolves compute kernels in long, resumable campaigns.

#include "runtime/commands.hpp"
#include "runtime/log.hpp"

#include <CLI/CLI.hpp>

#include <iostream>
#include <string>

int main(int argc, char** argv) {
  using namespace kforge;
  CLI::App app{"kforge: evolves compute kernels in long, resumable campaigns"};
  app.require_subcommand(1);
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

  runtime::run_options resume_opts;
  auto* resume = app.add_subcommand("resume", "continue an unfinished campaign from its store alone");
  resume->add_option("--store", store_path, "store directory")->required();
  resume->add_option("--campaign", resume_opts.campaign, "campaign name (default: the only unfinished one)");
  resume->add_flag("--no-progress", "print plain progress lines instead of the live table");

  std::string status_campaign;
  auto* status =
      app.add_subcommand("status", "show where the store's campaigns stand, without running anything");
  status->add_option("--store", store_path, "store directory")->required();
  status->add_option("--campaign", status_campaign, "only this campaign");

  CLI11_PARSE(app, argc, argv);

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
    return runtime::run_command(run_opts);
  }
  if (resume->parsed()) {
    resume_opts.store = store_path;
    resume_opts.progress = resume->count("--no-progress") == 0;
    return runtime::resume_command(resume_opts);
  }
  return runtime::status_command(store_path, status_campaign);
}
