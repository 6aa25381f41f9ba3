#include "actors/llm_proxy/openai_protocol.hpp"

#include "runtime/base/error.hpp"
#include "runtime/base/hash.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <climits>
#include <ctime>

namespace kforge::actors {

using json = nlohmann::json;

caf::expected<url_parts> parse_url(std::string_view url) {
  url_parts out;
  std::string_view rest;
  if (url.substr(0, 7) == "http://") {
    rest = url.substr(7);
  } else if (url.substr(0, 8) == "https://") {
    out.tls = true;
    rest = url.substr(8);
  } else {
    return make_error(errc::bad_config, "URL '" + std::string{url} + "' must start with http:// or https://");
  }
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  out.path = slash == std::string_view::npos ? std::string{} : std::string{rest.substr(slash)};
  while (!out.path.empty() && out.path.back() == '/')
    out.path.pop_back();
  // An IPv6 host is bracketed ("[::1]:8000"); a port follows the last ':' after the host.
  std::string_view host = authority;
  std::string_view port;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return make_error(errc::bad_config, "URL '" + std::string{url} + "' has an unclosed '[' in its host");
    host = authority.substr(1, close - 1);
    auto after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':')
      return make_error(errc::bad_config, "URL '" + std::string{url} + "' has text after its host's ']'");
    has_port = !after.empty();
    port = has_port ? after.substr(1) : std::string_view{};
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    has_port = true;
  }
  out.host = std::string{host};
  if (has_port) {
    long value = 0;
    bool digits = !port.empty() && port.size() <= 5;
    for (std::size_t i = 0; digits && i < port.size(); ++i) {
      digits = std::isdigit(static_cast<unsigned char>(port[i])) != 0;
      value = value * 10 + (port[i] - '0');
    }
    if (!digits || value < 1 || value > 65535)
      return make_error(errc::bad_config, "URL '" + std::string{url} + "' has a bad port '" +
                                              std::string{port} + "' (a number from 1 to 65535)");
    out.port = std::string{port};
  } else {
    out.port = out.tls ? "443" : "80";
  }
  if (out.host.empty())
    return make_error(errc::bad_config, "URL '" + std::string{url} + "' names no host");
  return out;
}

std::string chat_request_body(const endpoint_config& ep, const prompt& p, int32_t n, uint64_t seed) {
  json body{{"model", ep.model},
            {"messages", json::array({json{{"role", "system"}, {"content", p.system}},
                                      json{{"role", "user"}, {"content", p.user}}})},
            {"temperature", ep.temperature},
            {"max_tokens", ep.max_tokens},
            {"seed", seed & 0x7fffffffffffULL}};
  if (ep.send_n)
    body["n"] = n;
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string request_hash(const std::string& campaign, const std::string& task_id, const std::string& stage,
                         uint64_t seed, int32_t n) {
  content_hasher h;
  h.add("chat/v2").add(campaign).add(task_id).add(stage).add(std::to_string(seed)).add(std::to_string(n));
  return h.finish();
}

double parse_retry_after(std::string_view value, double now_unix_s) {
  while (!value.empty() && value.front() == ' ')
    value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ')
    value.remove_suffix(1);
  if (value.empty())
    return -1;
  if (std::isdigit(static_cast<unsigned char>(value.front())) != 0) {
    double seconds = 0;
    double scale = 0;
    for (char c : value) {
      if (c == '.' && scale == 0) {
        scale = 0.1;
      } else if (std::isdigit(static_cast<unsigned char>(c)) != 0) {
        if (scale == 0) {
          seconds = seconds * 10 + (c - '0');
        } else {
          seconds += scale * (c - '0');
          scale /= 10;
        }
        if (seconds > 1e7)
          return -1;
      } else {
        return -1;
      }
    }
    return seconds * 1000.0;
  }
  // HTTP date, IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
  std::tm tm{};
  std::string text{value};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0')
    return -1;
  auto at = static_cast<double>(timegm(&tm));
  return std::max(0.0, (at - now_unix_s) * 1000.0);
}

response_limits limits_of(const endpoint_config& ep, const prompt& p, int32_t n, int64_t max_body_bytes) {
  response_limits l;
  l.max_body_bytes = static_cast<std::size_t>(std::max<int64_t>(0, max_body_bytes));
  l.max_tokens_out = static_cast<int64_t>(std::max(1, n)) * std::max(0, ep.max_tokens);
  l.max_tokens_in = static_cast<int64_t>(p.system.size() + p.user.size()) + 4096;
  return l;
}

attempt_outcome classify(const http_exchange& x, const response_limits& limits) {
  attempt_outcome out;
  out.retry_after_ms = parse_retry_after(x.retry_after, static_cast<double>(std::time(nullptr)));
  auto protocol_error = [&](std::string what) {
    out.protocol_error = true;
    out.what = "protocol error: " + std::move(what);
    return out;
  };
  if (x.oversized || x.body.size() > limits.max_body_bytes)
    return protocol_error(
        "response larger than [llm] max_response_bytes = " + std::to_string(limits.max_body_bytes) +
        " bytes" + (x.oversized ? std::string{} : " (" + std::to_string(x.body.size()) + ")"));
  if (!x.error.empty()) {
    out.retryable = true;
    // A certificate the client does not trust is no outage: waiting would not change it.
    out.unreachable = x.error.find("certificate verify failed") == std::string::npos;
    out.what = "transport: " + x.error;
    return out;
  }
  if (x.status < 200 || x.status >= 300) {
    out.what = "http " + std::to_string(x.status);
    std::string detail;
    auto parsed = json::parse(x.body, nullptr, false);
    if (!parsed.is_discarded() && parsed.is_object() && parsed.contains("error")) {
      const auto& e = parsed["error"];
      if (e.is_object() && e.contains("message") && e["message"].is_string())
        detail = e["message"].get<std::string>();
      else if (e.is_string())
        detail = e.get<std::string>();
    }
    if (!detail.empty())
      out.what += ": " + detail.substr(0, 200);
    out.retryable = x.status == 408 || x.status == 409 || x.status == 425 || x.status == 429 ||
                    x.status >= 500 || x.status == 0;
    out.unreachable = out.retryable;
    return out;
  }
  auto parsed = json::parse(x.body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    out.retryable = true;
    out.what = "malformed json (" + std::to_string(x.body.size()) + " bytes)";
    return out;
  }
  if (!parsed.contains("choices") || !parsed["choices"].is_array() || parsed["choices"].empty()) {
    out.retryable = true;
    out.what = "no choices";
    return out;
  }
  chat_result r;
  for (const auto& choice : parsed["choices"]) {
    if (!choice.is_object())
      continue;
    std::string content;
    if (choice.contains("message") && choice["message"].is_object()) {
      const auto& m = choice["message"];
      if (m.contains("content") && m["content"].is_string())
        content = m["content"].get<std::string>();
    } else if (choice.contains("text") && choice["text"].is_string()) {
      content = choice["text"].get<std::string>();
    }
    std::string finish;
    if (choice.contains("finish_reason") && choice["finish_reason"].is_string())
      finish = choice["finish_reason"].get<std::string>();
    r.contents.push_back(std::move(content));
    r.finish_reasons.push_back(std::move(finish));
  }
  if (r.contents.empty()) {
    out.retryable = true;
    out.what = "no usable choices";
    return out;
  }
  if (parsed.contains("usage") && parsed["usage"].is_object()) {
    const auto& u = parsed["usage"];
    // A count beyond int64 (an unsigned JSON number) is as absurd as a negative one.
    auto count = [&](const char* key, int64_t& to) {
      if (!u.contains(key) || !u[key].is_number_integer())
        return true;
      if (u[key].is_number_unsigned() && u[key].get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
        return false;
      to = u[key].get<int64_t>();
      return to >= 0;
    };
    if (!count("prompt_tokens", r.tokens_in) || !count("completion_tokens", r.tokens_out))
      return protocol_error("usage reports a negative or impossible token count (" + u.dump() + ")");
    if (r.tokens_out > limits.max_tokens_out)
      return protocol_error("usage reports " + std::to_string(r.tokens_out) +
                            " completion tokens, more than the request allows (" +
                            std::to_string(limits.max_tokens_out) + ")");
    if (r.tokens_in > limits.max_tokens_in)
      return protocol_error("usage reports " + std::to_string(r.tokens_in) +
                            " prompt tokens for a prompt of at most " + std::to_string(limits.max_tokens_in) +
                            " tokens");
  }
  out.ok = true;
  out.what = "ok";
  out.result = std::move(r);
  return out;
}

}  // namespace kforge::actors
