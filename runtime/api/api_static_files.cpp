#include "runtime/api/api_handlers.hpp"

#include "runtime/api/api_views.hpp"

#include <fstream>
#include <sstream>

namespace kforge::runtime {

namespace {

std::string mime_of(const std::filesystem::path& p) {
  auto ext = p.extension().string();
  if (ext == ".html")
    return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs")
    return "text/javascript; charset=utf-8";
  if (ext == ".css")
    return "text/css; charset=utf-8";
  if (ext == ".svg")
    return "image/svg+xml";
  if (ext == ".png")
    return "image/png";
  if (ext == ".json")
    return "application/json";
  return "application/octet-stream";
}

}  // namespace

api_response get_static(const api_settings& settings, const std::string& path) {
  if (settings.static_dir.empty())
    return error_response(404, "no dashboard is served (static_dir is not set)");
  auto file = static_file(settings.static_dir, path == "/" || path.empty() ? "/index.html" : path);
  if (!file)
    return from_error(file.error());
  std::ifstream in{*file, std::ios::binary};
  if (!in)
    return error_response(404, "no such file: " + path);
  std::ostringstream buf;
  buf << in.rdbuf();
  api_response r;
  r.content_type = mime_of(*file);
  r.body = buf.str();
  r.headers.emplace_back("Cache-Control", "no-cache");
  return r;
}

bool percent_decode(const std::string& in, std::string& out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i] == '+' ? ' ' : in[i]);
      continue;
    }
    if (i + 2 >= in.size())
      return false;
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9')
        return c - '0';
      if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
      if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
      return -1;
    };
    int hi = hex(in[i + 1]);
    int lo = hex(in[i + 2]);
    if (hi < 0 || lo < 0)
      return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

caf::expected<std::filesystem::path> static_file(const std::filesystem::path& root,
                                                 const std::string& url_path) {
  std::filesystem::path rel;
  size_t at = 0;
  while (at <= url_path.size()) {
    auto next = url_path.find('/', at);
    if (next == std::string::npos)
      next = url_path.size();
    if (next > at) {
      std::string seg;
      if (!percent_decode(url_path.substr(at, next - at), seg))
        return make_error(errc::bad_request, "malformed percent-escape in " + url_path.substr(0, 200));
      if (seg == ".." || seg == "." || seg.find('/') != std::string::npos ||
          seg.find('\\') != std::string::npos || seg.find('\0') != std::string::npos)
        return make_error(errc::bad_request, "path traversal refused: " + url_path.substr(0, 200));
      rel /= seg;
    }
    at = next + 1;
  }
  if (rel.empty())
    return make_error(errc::not_found, "no file named");
  std::error_code ec;
  auto base = std::filesystem::canonical(root, ec);
  if (ec)
    return make_error(errc::not_found, "the dashboard directory is missing: " + root.string());
  auto full = std::filesystem::canonical(base / rel, ec);
  if (ec || !std::filesystem::is_regular_file(full, ec))
    return make_error(errc::not_found, "no such file: " + url_path.substr(0, 200));
  // A symlink inside the root must not lead out of it.
  auto b = base.string() + "/";
  if (full.string().compare(0, b.size(), b) != 0)
    return make_error(errc::bad_request, "path traversal refused: " + url_path.substr(0, 200));
  return full;
}

}  // namespace kforge::runtime
