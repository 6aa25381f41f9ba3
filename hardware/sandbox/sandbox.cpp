#include "hardware/sandbox/sandbox.hpp"

#include "hardware/sandbox/scratch_dir.hpp"

#include <signal.h>
#include <string.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <system_error>

namespace kforge::hardware {

std::vector<std::string> scrubbed_environment(const std::filesystem::path& scratch) {
  return {"PATH=/usr/bin:/bin", "HOME=" + scratch.string(), "TMPDIR=" + scratch.string(), "LANG=C"};
}

namespace {

// The paths the program reads besides its working directory: the explicit
// ones and every absolute path in argv that is a regular file (kforge names
// its own files there: the program, a source, the harness object).
std::vector<std::filesystem::path> read_only_paths(const sandbox_request& req) {
  auto paths = req.read_only_paths;
  std::error_code ec;
  for (const auto& arg : req.argv) {
    if (!arg.empty() && arg.front() == '/' && std::filesystem::is_regular_file(arg, ec))
      paths.emplace_back(arg);
  }
  return paths;
}

caf::expected<exit_report> spawn_and_wait(const sandbox_request& req, const std::filesystem::path& cwd,
                                          const std::optional<sandbox_user>& identity) {
  spawn_options opts;
  opts.identity = identity;
  opts.argv = req.argv;
  opts.env = scrubbed_environment(cwd);
  for (const auto& kv : req.extra_env) {
    auto key = kv.substr(0, kv.find('=') + 1);
    auto same = [&](const std::string& e) { return e.compare(0, key.size(), key) == 0; };
    opts.env.erase(std::remove_if(opts.env.begin(), opts.env.end(), same), opts.env.end());
    opts.env.push_back(kv);
  }
  opts.cwd = cwd;
  opts.limits = req.limits;
  opts.read_only_paths = read_only_paths(req);
  opts.hidden_paths = req.hidden_paths;
  auto proc = subprocess::spawn(opts);
  if (!proc)
    return std::move(proc.error());
  return proc->wait();
}

}  // namespace

caf::expected<exit_report> run_sandboxed(const sandbox_request& req) {
  scratch_dir scratch;
  auto cwd = req.cwd;
  if (cwd.empty()) {
    auto parent = req.scratch_parent.empty() ? std::filesystem::temp_directory_path() : req.scratch_parent;
    auto made = scratch_dir::create(parent, "kforge-sandbox-");
    if (!made)
      return std::move(made.error());
    scratch = std::move(*made);
    cwd = scratch.path();
  }
  // A uid of its own: a fork bomb here cannot use up the process limit of a compile running beside it.
  auto lease = sandbox_user_lease::acquire();
  const auto& user = lease.user();
  if (!user)
    return spawn_and_wait(req, cwd, std::nullopt);
  struct stat owner {};
  if (::stat(cwd.c_str(), &owner) != 0)
    return make_error(errc::io_failed, "sandbox: cannot stat " + cwd.string() + ": " + ::strerror(errno));
  if (auto err = change_owner_tree(cwd, user->uid, user->gid))
    return err;
  auto report = spawn_and_wait(req, cwd, user);
  // A fresh directory is removed right away; a caller's one goes back to its owner.
  if (scratch.empty()) {
    if (auto err = change_owner_tree(cwd, owner.st_uid, owner.st_gid))
      return err;
    if (::chmod(cwd.c_str(), 0711) != 0)
      return make_error(errc::io_failed, "sandbox: cannot chmod " + cwd.string() + ": " + ::strerror(errno));
  }
  return report;
}

std::string signal_name(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  const char* text = ::sigdescr_np(sig);
  std::string out = abbrev != nullptr ? std::string{"SIG"} + abbrev : "signal " + std::to_string(sig);
  if (text != nullptr)
    out += std::string{" ("} + text + ")";
  return out;
}

std::string describe_exit(const exit_report& report, const process_limits& limits) {
  if (!report.started)
    return "could not start: " + report.output;
  char buf[64];
  if (report.timed_out) {
    std::snprintf(buf, sizeof buf, "timed out after %g s", static_cast<double>(limits.wall_ms) / 1000.0);
    return buf;
  }
  auto cpu_limit_ms = static_cast<double>(limits.cpu_seconds) * 1000.0;
  if (report.term_signal == SIGXCPU ||
      (report.term_signal == SIGKILL && limits.cpu_seconds > 0 && report.cpu_ms >= cpu_limit_ms * 0.98)) {
    std::snprintf(buf, sizeof buf, "exceeded the CPU limit of %lld s",
                  static_cast<long long>(limits.cpu_seconds));
    return buf;
  }
  if (report.term_signal == SIGXFSZ)
    return "exceeded the file size limit";
  if (report.term_signal != 0)
    return "killed by signal " + signal_name(report.term_signal);
  return "exit code " + std::to_string(report.exit_code);
}

std::string truncate_text(std::string text, std::size_t cap) {
  static constexpr const char* marker = "\n[... truncated]";
  if (text.size() <= cap)
    return text;
  std::string_view mark{marker};
  auto keep = cap > mark.size() ? cap - mark.size() : 0;
  // Back off over UTF-8 continuation bytes so that the cut is between characters.
  while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80)
    --keep;
  text.resize(keep);
  text += mark.substr(0, cap - keep);
  return text;
}

std::string program_output(const exit_report& report, const process_limits& limits, const std::string& what) {
  if (!report.started)
    return "could not start the " + what + ": " + report.output;
  std::string text;
  if (report.timed_out || report.term_signal != 0 || report.exit_code != 0)
    text = what + " " + describe_exit(report, limits) + "\n";
  text += report.output;
  if (report.output_truncated)
    text += "\n[... output truncated]";
  return text;
}

}  // namespace kforge::hardware
