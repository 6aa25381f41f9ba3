#include "runtime/cli/commands.hpp"
#include "runtime/daemon/daemon.hpp"

#include <filesystem>
#include <iostream>
#include <system_error>

namespace kforge::runtime {

namespace {

// The dashboard next to an installed binary (PREFIX/share/kforge/dashboard), else the source tree's.
std::filesystem::path default_static_dir() {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    auto installed = exe.parent_path().parent_path() / "share" / "kforge" / "dashboard";
    if (std::filesystem::exists(installed / "index.html", ec))
      return installed;
  }
#ifdef KFORGE_DASHBOARD_DIR
  std::filesystem::path source{KFORGE_DASHBOARD_DIR};
  if (std::filesystem::exists(source / "index.html", ec))
    return source;
#endif
  return {};
}

}  // namespace

int daemon_command(const daemon_options& opts) {
  daemon_config cfg;
  if (!opts.daemon_config.empty()) {
    auto loaded = load_daemon_config(opts.daemon_config);
    if (!loaded) {
      std::cerr << "kforge: " << describe(loaded.error()) << '\n';
      return 2;
    }
    cfg = std::move(*loaded);
  }
  if (!opts.campaigns.empty())
    cfg.campaigns = opts.campaigns;
  if (opts.store)
    cfg.store = *opts.store;
  if (opts.listen)
    cfg.listen = *opts.listen;
  if (opts.port) {
    if (*opts.port < 0 || *opts.port > 65535) {
      std::cerr << "kforge: --port must lie in [0, 65535]\n";
      return 2;
    }
    cfg.port = *opts.port;
  }
  if (opts.static_dir)
    cfg.static_dir = *opts.static_dir;
  if (opts.port_file)
    cfg.port_file = *opts.port_file;
  if (opts.threads)
    cfg.threads = *opts.threads;
  if (cfg.static_dir.empty())
    cfg.static_dir = default_static_dir();
  if (auto err = finish_daemon_config(cfg)) {
    std::cerr << "kforge: " << describe(err) << '\n';
    return 2;
  }
  return run_daemon(cfg);
}

}  // namespace kforge::runtime
