#include "actors/llm_proxy/response_parser.hpp"

#include "runtime/base/text.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <regex>

namespace kforge::actors {

namespace {

bool is_ident(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0)
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0)
    s.remove_suffix(1);
  return s;
}

// True if `text` defines `name`: the identifier, its parameter list, then a body '{'.
bool mentions_function(std::string_view text, std::string_view name) {
  if (name.empty())
    return true;
  for (std::size_t pos = text.find(name); pos != std::string_view::npos; pos = text.find(name, pos + 1)) {
    if (pos > 0 && is_ident(text[pos - 1]))
      continue;
    auto end = pos + name.size();
    while (end < text.size() && std::isspace(static_cast<unsigned char>(text[end])) != 0)
      ++end;
    if (end >= text.size() || text[end] != '(')
      continue;
    int depth = 0;
    for (; end < text.size(); ++end) {
      if (text[end] == '(')
        ++depth;
      else if (text[end] == ')' && --depth == 0)
        break;
    }
    if (end >= text.size())
      continue;
    ++end;
    while (end < text.size() && std::isspace(static_cast<unsigned char>(text[end])) != 0)
      ++end;
    if (end < text.size() && text[end] == '{')
      return true;
  }
  return false;
}

bool is_cpp_language(const std::string& lang) {
  static const char* const names[] = {"",    "c", "cpp", "c++",  "cc",
                                      "cxx", "h", "hpp", "cuda", "objective-c++"};
  return std::any_of(std::begin(names), std::end(names), [&](const char* n) { return lang == n; });
}

// Rough check that unfenced text is C++ rather than prose: a brace and a semicolon.
bool looks_like_cpp(std::string_view text) {
  return text.find('{') != std::string_view::npos && text.find(';') != std::string_view::npos &&
         text.find('}') != std::string_view::npos;
}

bool braces_balanced(std::string_view text) {
  long depth = 0;
  for (char c : text) {
    if (c == '{')
      ++depth;
    else if (c == '}' && --depth < 0)
      return false;
  }
  return depth == 0;
}

std::string excerpt(std::string_view text, std::size_t n) {
  std::string out;
  for (char c : text.substr(0, n)) {
    auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 && c != '\n') || u == 0x7f ? '?' : (c == '\n' ? ' ' : c);
  }
  return out;
}

}  // namespace

std::vector<fenced_block> fenced_blocks(std::string_view text) {
  std::vector<fenced_block> blocks;
  std::size_t pos = 0;
  bool inside = false;
  char fence_char = 0;
  std::size_t fence_len = 0;
  fenced_block current;
  while (pos <= text.size()) {
    auto eol = text.find('\n', pos);
    auto line = text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    // A fence may be indented by up to three spaces.
    std::size_t indent = 0;
    while (indent < line.size() && indent < 3 && line[indent] == ' ')
      ++indent;
    auto rest = line.substr(indent);
    std::size_t run = 0;
    char c = rest.empty() ? '\0' : rest.front();
    if (c == '`' || c == '~')
      while (run < rest.size() && rest[run] == c)
        ++run;
    if (!inside && run >= 3) {
      inside = true;
      fence_char = c;
      fence_len = run;
      current = fenced_block{};
      auto info = trim(rest.substr(run));
      std::size_t word = 0;
      while (word < info.size() && std::isspace(static_cast<unsigned char>(info[word])) == 0 &&
             info[word] != '{')
        ++word;
      current.language = lowercase(std::string{info.substr(0, word)});
    } else if (inside && run >= fence_len && c == fence_char && trim(rest.substr(run)).empty()) {
      inside = false;
      blocks.push_back(std::move(current));
      current = fenced_block{};
    } else if (inside) {
      current.body.append(line.data(), line.size());
      current.body += '\n';
    }
    if (eol == std::string_view::npos)
      break;
    pos = eol + 1;
  }
  if (inside) {
    current.closed = false;
    blocks.push_back(std::move(current));
  }
  return blocks;
}

namespace {

// What one kind of answer looks like: C++ defining a function, or Python defining ModelNew.
struct answer_rules {
  std::string subject;   ///< "row_sum()" or "class ModelNew": what the block must define
  std::string language;  ///< "C++" or "Python", for messages
  std::string what;      ///< "kernel" or "ModelNew file", for the size message
  std::function<bool(std::string_view)> language_ok;  ///< a fence's info word that can hold it
  std::function<bool(std::string_view)> defines;      ///< the text defines the subject
  std::function<bool(std::string_view)> complete;     ///< the text is not cut off
  std::function<std::string(std::string_view)> bare;  ///< why a reply without fences is not one ("" ok)
};

parsed_kernel failed_parse(std::string_view reply, std::string why, const parse_limits& limits) {
  parsed_kernel out;
  out.usable = false;
  out.source = std::string{reply.substr(0, std::min<std::size_t>(reply.size(), 4096))};
  out.problem = std::move(why) + "; reply starts: \"" + excerpt(trim(reply), limits.problem_excerpt) + "\"";
  return out;
}

parsed_kernel usable_parse(std::string source) {
  parsed_kernel out;
  out.usable = true;
  out.source = std::move(source);
  return out;
}

// The last closed, complete block that defines the subject (models often show a sketch first
// and the final answer last), or a reply without fences that is one whole answer.
parsed_kernel parse_answer(std::string_view reply, const answer_rules& rules, const parse_limits& limits) {
  if (reply.size() > limits.max_reply_bytes)
    reply = reply.substr(0, limits.max_reply_bytes);
  const auto too_long = rules.what + " longer than " + std::to_string(limits.max_kernel_bytes) + " bytes";
  if (trim(reply).empty())
    return failed_parse(reply, "empty reply", limits);
  auto blocks = fenced_blocks(reply);
  if (blocks.empty()) {
    if (auto why = rules.bare(reply); !why.empty())
      return failed_parse(reply, why, limits);
    if (reply.size() > limits.max_kernel_bytes)
      return failed_parse(reply, too_long, limits);
    return usable_parse(std::string{trim(reply)} + "\n");
  }
  const fenced_block* truncated = nullptr;
  const fenced_block* foreign = nullptr;
  for (auto it = blocks.rbegin(); it != blocks.rend(); ++it) {
    if (!rules.language_ok(it->language)) {
      foreign = foreign != nullptr ? foreign : &*it;
      continue;
    }
    if (!rules.defines(it->body))
      continue;
    if (!it->closed || !rules.complete(it->body)) {
      truncated = truncated != nullptr ? truncated : &*it;
      continue;
    }
    if (it->body.size() > limits.max_kernel_bytes)
      return failed_parse(reply, too_long, limits);
    return usable_parse(it->body);
  }
  if (truncated != nullptr)
    return failed_parse(reply, "the code block defining " + rules.subject + " is truncated", limits);
  if (foreign != nullptr)
    return failed_parse(reply,
                        "code block in " +
                            (foreign->language.empty() ? std::string{"?"} : foreign->language) + ", not " +
                            rules.language + ", and no " + rules.language + " block defines " + rules.subject,
                        limits);
  return failed_parse(reply, "no code block defines " + rules.subject, limits);
}

}  // namespace

parsed_kernel parse_kernel(std::string_view reply, std::string_view function, const parse_limits& limits) {
  answer_rules rules;
  rules.subject = std::string{function} + "()";
  rules.language = "C++";
  rules.what = "kernel";
  rules.language_ok = [](std::string_view lang) { return is_cpp_language(std::string{lang}); };
  rules.defines = [function](std::string_view text) { return mentions_function(text, function); };
  rules.complete = [](std::string_view text) { return braces_balanced(text); };
  rules.bare = [&](std::string_view text) -> std::string {
    if (!looks_like_cpp(text))
      return "no code block and the reply is not C++";
    if (!mentions_function(text, function))
      return "the reply does not define " + rules.subject;
    if (!braces_balanced(text))
      return "unbalanced braces: the reply looks truncated";
    return "";
  };
  return parse_answer(reply, rules, limits);
}

parsed_kernel parse_model_new(std::string_view reply, const parse_limits& limits) {
  static const std::regex model_new{R"((^|\n)[ \t]*class[ \t]+ModelNew\b)"};
  answer_rules rules;
  rules.subject = "class ModelNew";
  rules.language = "Python";
  rules.what = "ModelNew file";
  rules.language_ok = [](std::string_view lang) {
    return lang.empty() || lang == "python" || lang == "py" || lang == "python3";
  };
  rules.defines = [](std::string_view text) {
    return std::regex_search(text.begin(), text.end(), model_new);
  };
  rules.complete = [](std::string_view) { return true; };
  rules.bare = [&](std::string_view text) -> std::string {
    return rules.defines(text) ? "" : "no code block and the reply does not define class ModelNew";
  };
  return parse_answer(reply, rules, limits);
}

reply_notes parse_notes(std::string_view reply, std::size_t max_chars) {
  reply_notes out;
  std::size_t pos = 0;
  bool inside = false;
  char fence_char = 0;
  while (pos < reply.size()) {
    auto eol = reply.find('\n', pos);
    auto line = trim(reply.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos));
    pos = eol == std::string_view::npos ? reply.size() : eol + 1;
    if (line.size() >= 3 && (line.substr(0, 3) == "```" || line.substr(0, 3) == "~~~")) {
      if (!inside) {
        inside = true;
        fence_char = line.front();
      } else if (line.front() == fence_char) {
        inside = false;
      }
      continue;
    }
    if (inside)
      continue;
    while (!line.empty() && (line.front() == '*' || line.front() == '_' || line.front() == '-' ||
                             line.front() == '#' || line.front() == ' '))
      line.remove_prefix(1);
    auto colon = line.find(':');
    if (colon == std::string_view::npos)
      continue;
    auto key = lowercase(std::string{trim(line.substr(0, colon))});
    while (!key.empty() && (key.back() == '*' || key.back() == '_'))
      key.pop_back();
    std::string* slot = key == "technique"      ? &out.technique
                        : key == "optimization" ? &out.optimization
                                                : nullptr;
    if (slot == nullptr)
      continue;
    auto value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == '*' || value.front() == '_' || value.front() == ' '))
      value.remove_prefix(1);
    *slot = excerpt(trim(value), max_chars);
    auto t = trim(*slot);
    *slot = std::string{t};
    while (!slot->empty() && (slot->back() == '*' || slot->back() == '`'))
      slot->pop_back();
    while (!slot->empty() && slot->front() == '`')
      slot->erase(0, 1);
  }
  return out;
}

std::string function_name(std::string_view signature) {
  auto paren = signature.find('(');
  if (paren == std::string_view::npos)
    return {};
  auto end = paren;
  while (end > 0 && std::isspace(static_cast<unsigned char>(signature[end - 1])) != 0)
    --end;
  auto begin = end;
  while (begin > 0 && is_ident(signature[begin - 1]))
    --begin;
  return std::string{signature.substr(begin, end - begin)};
}

}  // namespace kforge::actors
