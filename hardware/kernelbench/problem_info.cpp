#include "hardware/kernelbench/problem_info.hpp"

#include "runtime/base/text.hpp"

#include <cctype>
#include <cmath>
#include <map>
#include <regex>
#include <set>

namespace kforge::hardware {

namespace {

using names_t = std::vector<std::pair<std::string, std::string>>;

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos)
    return {};
  auto e = s.find_last_not_of(" \t\r");
  return std::string{s.substr(b, e - b + 1)};
}

// `text` without a trailing comment (a '#' outside quotes).
std::string strip_comment(const std::string& text) {
  char quote = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote != 0) {
      if (c == quote)
        quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#') {
      return text.substr(0, i);
    }
  }
  return text;
}

// Splits `s` at commas outside brackets; empty pieces (a trailing comma) are dropped.
std::vector<std::string> split_top(std::string_view s) {
  std::vector<std::string> out;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    char c = i < s.size() ? s[i] : ',';
    if (c == '(' || c == '[' || c == '{')
      ++depth;
    else if (c == ')' || c == ']' || c == '}')
      --depth;
    else if (c == ',' && depth == 0) {
      auto piece = trim(s.substr(start, i - start));
      if (!piece.empty())
        out.push_back(piece);
      start = i + 1;
    }
  }
  return out;
}

// "(a, b)" or "[a, b]" -> its elements; nullopt if `s` is not one bracketed sequence.
std::optional<std::vector<std::string>> as_sequence(const std::string& s) {
  if (s.size() < 2 || !((s.front() == '(' && s.back() == ')') || (s.front() == '[' && s.back() == ']')))
    return std::nullopt;
  int depth = 0;
  for (std::size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] == '(' || s[i] == '[')
      ++depth;
    else if (s[i] == ')' || s[i] == ']')
      --depth;
    if (depth == 0)
      return std::nullopt;  // "(a) * (b)": closes before the end
  }
  return split_top(std::string_view{s}.substr(1, s.size() - 2));
}

const std::string* lookup(const names_t& names, const std::string& name) {
  for (auto it = names.rbegin(); it != names.rend(); ++it)
    if (it->first == name)
      return &it->second;
  return nullptr;
}

// Recursive descent over a constant expression; names resolve to their expressions.
class evaluator {
 public:
  evaluator(std::string_view text, const names_t& names, int depth)
      : s_(text), names_(names), depth_(depth) {}

  std::optional<double> run() {
    auto v = sum();
    skip();
    if (!v || pos_ != s_.size())
      return std::nullopt;
    return v;
  }

 private:
  void skip() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t'))
      ++pos_;
  }
  bool eat(std::string_view op) {
    skip();
    if (s_.substr(pos_, op.size()) != op)
      return false;
    pos_ += op.size();
    return true;
  }
  std::optional<double> sum() {
    auto v = product();
    while (v) {
      if (eat("+")) {
        auto r = product();
        v = r ? std::optional<double>{*v + *r} : std::nullopt;
      } else if (eat("-")) {
        auto r = product();
        v = r ? std::optional<double>{*v - *r} : std::nullopt;
      } else {
        break;
      }
    }
    return v;
  }
  std::optional<double> product() {
    auto v = unary();
    while (v) {
      skip();
      if (s_.substr(pos_, 2) == "**")
        break;
      if (eat("//")) {
        auto r = unary();
        v = r && *r != 0 ? std::optional<double>{std::floor(*v / *r)} : std::nullopt;
      } else if (eat("*")) {
        auto r = unary();
        v = r ? std::optional<double>{*v * *r} : std::nullopt;
      } else if (eat("/")) {
        auto r = unary();
        v = r && *r != 0 ? std::optional<double>{*v / *r} : std::nullopt;
      } else if (eat("%")) {
        auto r = unary();
        v = r && *r != 0 ? std::optional<double>{std::fmod(*v, *r)} : std::nullopt;
      } else {
        break;
      }
    }
    return v;
  }
  std::optional<double> unary() {
    if (eat("-")) {
      auto v = unary();
      return v ? std::optional<double>{-*v} : std::nullopt;
    }
    if (eat("+"))
      return unary();
    auto base = atom();
    if (base && eat("**")) {
      auto e = unary();
      return e ? std::optional<double>{std::pow(*base, *e)} : std::nullopt;
    }
    return base;
  }
  std::optional<double> atom() {
    skip();
    if (pos_ >= s_.size())
      return std::nullopt;
    if (s_[pos_] == '(') {
      ++pos_;
      auto v = sum();
      return v && eat(")") ? v : std::nullopt;
    }
    if (std::isdigit(static_cast<unsigned char>(s_[pos_])) != 0 || s_[pos_] == '.') {
      std::string digits;
      while (pos_ < s_.size() &&
             (std::isalnum(static_cast<unsigned char>(s_[pos_])) != 0 || s_[pos_] == '.' || s_[pos_] == '_' ||
              ((s_[pos_] == '-' || s_[pos_] == '+') && !digits.empty() &&
               (digits.back() == 'e' || digits.back() == 'E')))) {
        if (s_[pos_] != '_')
          digits += s_[pos_];
        ++pos_;
      }
      char* end = nullptr;
      double v = std::strtod(digits.c_str(), &end);
      return end != nullptr && *end == '\0' ? std::optional<double>{v} : std::nullopt;
    }
    if (std::isalpha(static_cast<unsigned char>(s_[pos_])) != 0 || s_[pos_] == '_') {
      std::string name;
      while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) != 0 || s_[pos_] == '_'))
        name += s_[pos_++];
      if (name == "int" || name == "float") {  // int(x), float(x)
        if (!eat("("))
          return std::nullopt;
        auto v = sum();
        if (!v || !eat(")"))
          return std::nullopt;
        return name == "int" ? std::trunc(*v) : *v;
      }
      const auto* expr = lookup(names_, name);
      if (expr == nullptr || depth_ > 16)
        return std::nullopt;
      return evaluator{*expr, names_, depth_ + 1}.run();
    }
    return std::nullopt;
  }

  std::string_view s_;
  const names_t& names_;
  int depth_;
  std::size_t pos_ = 0;
};

// The lines of `source`, comments stripped.
std::vector<std::string> lines_of(std::string_view source) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= source.size()) {
    auto end = source.find('\n', start);
    auto line = source.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    out.push_back(strip_comment(std::string{line}));
    if (end == std::string_view::npos)
      break;
    start = end + 1;
  }
  return out;
}

std::size_t indent_of(const std::string& line) {
  auto first = line.find_first_not_of(" \t");
  return first == std::string::npos ? std::string::npos : first;
}

// Adds the assignments among `lines` at indentation `indent` to `names` ("a, b = 1, 2" too).
void collect_assignments(const std::vector<std::string>& lines, std::size_t indent, names_t& names) {
  static const std::regex assign{R"(^([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s*=\s*([^=].*)$)"};
  std::vector<std::string> statements;  // "depth = 32; height = width = 128": two statements
  for (const auto& raw : lines) {
    if (indent_of(raw) != indent)
      continue;
    std::size_t start = 0;
    for (auto semi = raw.find(';'); semi != std::string::npos; semi = raw.find(';', start = semi + 1))
      statements.push_back(raw.substr(start, semi - start));
    statements.push_back(raw.substr(start));
  }
  for (const auto& statement : statements) {
    auto line = trim(statement);
    std::smatch m;
    if (!std::regex_match(line, m, assign))
      continue;
    auto lhs = split_top(m[1].str());
    auto rhs = trim(m[2].str());
    std::smatch chained;  // "height = width = 256"
    static const std::regex chain{R"(^([A-Za-z_]\w*)\s*=\s*([^=].*)$)"};
    while (lhs.size() == 1 && std::regex_match(rhs, chained, chain)) {
      names.emplace_back(lhs[0], trim(chained[2].str()));
      lhs = {chained[1].str()};
      rhs = trim(chained[2].str());
    }
    if (lhs.size() == 1) {
      names.emplace_back(lhs[0], rhs);
      continue;
    }
    auto values = split_top(rhs);
    if (values.size() == 1)
      if (auto seq = as_sequence(values[0]))
        values = *seq;
    if (values.size() == lhs.size())
      for (std::size_t i = 0; i < lhs.size(); ++i)
        names.emplace_back(lhs[i], values[i]);
  }
}

// The body of `def name` (its lines, the def line excluded) and its indentation; empty if none.
std::vector<std::string> body_of(const std::vector<std::string>& lines, const std::string& name,
                                 std::size_t& body_indent, std::size_t from = 0) {
  std::vector<std::string> out;
  const std::regex def{"^\\s*def\\s+" + name + "\\s*\\("};
  for (std::size_t i = from; i < lines.size(); ++i) {
    if (!std::regex_search(lines[i], def))
      continue;
    auto own = indent_of(lines[i]);
    body_indent = std::string::npos;
    for (std::size_t j = i + 1; j < lines.size(); ++j) {
      auto ind = indent_of(lines[j]);
      if (ind == std::string::npos)
        continue;
      if (ind <= own)
        break;
      if (body_indent == std::string::npos)
        body_indent = ind;
      out.push_back(lines[j]);
    }
    return out;
  }
  return out;
}

// The text between the '(' at `open` and its matching ')'.
std::string call_args(const std::string& text, std::size_t open) {
  int depth = 0;
  for (std::size_t i = open; i < text.size(); ++i) {
    if (text[i] == '(')
      ++depth;
    else if (text[i] == ')' && --depth == 0)
      return text.substr(open + 1, i - open - 1);
  }
  return {};
}

// The dimensions `args` of a creation call give, or nullopt.
std::optional<std::vector<int64_t>> shape_of(const std::string& fn, const std::string& args,
                                             const names_t& names) {
  std::vector<std::string> positional;
  for (auto& a : split_top(args)) {
    static const std::regex kw{R"(^\w+\s*=[^=])"};
    if (!std::regex_search(a, kw))
      positional.push_back(a);
  }
  if (fn == "randint") {  // randint(low, high, size) or randint(high, size)
    if (positional.size() < 2)
      return std::nullopt;
    positional = {positional.back()};
  }
  std::vector<std::string> dims;
  auto expand = [&](const std::string& item) -> bool {
    auto text = item;
    bool star = !text.empty() && text.front() == '*';
    if (star)
      text = trim(text.substr(1));
    if (const auto* value = lookup(names, text); value != nullptr && (star || positional.size() == 1)) {
      if (auto seq = as_sequence(*value)) {
        dims.insert(dims.end(), seq->begin(), seq->end());
        return true;
      }
    }
    if (star)
      return false;
    if (auto seq = as_sequence(text); seq && positional.size() == 1) {
      for (const auto& d : *seq)
        if (!d.empty() && d.front() == '*') {
          const auto* value = lookup(names, trim(d.substr(1)));
          auto inner = value != nullptr ? as_sequence(*value) : std::nullopt;
          if (!inner)
            return false;
          dims.insert(dims.end(), inner->begin(), inner->end());
        } else {
          dims.push_back(d);
        }
      return true;
    }
    dims.push_back(text);
    return true;
  };
  for (const auto& p : positional)
    if (!expand(p))
      return std::nullopt;
  std::vector<int64_t> shape;
  for (const auto& d : dims) {
    auto v = eval_constant(d, names);
    if (!v || *v < 0 || *v != std::floor(*v))
      return std::nullopt;
    shape.push_back(static_cast<int64_t>(*v));
  }
  return shape;
}

// The category of one operator name.
std::string category(const std::string& op) {
  static const std::set<std::string> matmul = {"matmul", "mm",      "bmm",      "einsum",    "linear",
                                               "addmm",  "baddbmm", "bilinear", "tensordot", "@"};
  static const std::set<std::string> reduction = {"sum",    "mean",      "max",  "min",  "prod",
                                                  "argmax", "argmin",    "amax", "amin", "std",
                                                  "var",    "logsumexp", "norm", "all",  "any"};
  static const std::set<std::string> sequence = {
      "lstm", "gru", "rnn", "multiheadattention", "scaled_dot_product_attention", "transformer"};
  if (matmul.count(op) != 0)
    return "matmul";
  if (op.rfind("conv", 0) == 0)
    return "conv";
  if (op == "softmax" || op == "log_softmax")
    return "softmax";
  if (op.find("norm") != std::string::npos && op != "norm")
    return "norm";
  if (op.find("pool") != std::string::npos)
    return "pool";
  if (op.rfind("cum", 0) == 0)
    return "scan";
  if (op.find("loss") != std::string::npos || op == "cross_entropy" || op == "kl_div" ||
      op == "cosine_similarity" || op == "nll")
    return "loss";
  if (reduction.count(op) != 0)
    return "reduction";
  if (sequence.count(op) != 0)
    return "sequence";
  return "elementwise";
}

// Method and function names that move or view data rather than compute.
bool is_layout(const std::string& op) {
  static const std::set<std::string> layout = {
      "view",    "reshape",   "size",       "contiguous", "permute",  "transpose",  "unsqueeze",
      "squeeze", "flatten",   "to",         "type",       "float",    "half",       "expand",
      "repeat",  "chunk",     "split",      "cat",        "stack",    "item",       "dim",
      "t",       "clone",     "detach",     "narrow",     "unbind",   "expand_as",  "view_as",
      "zeros",   "ones",      "zeros_like", "ones_like",  "empty",    "randn",      "rand",
      "arange",  "new_zeros", "append",     "range",      "len",      "sequential", "modulelist",
      "super",   "dropout",   "identity",   "numel",      "__init__", "forward"};
  return layout.count(op) != 0;
}

// The operators `forward` applies, in order: its modules (by their nn type), torch and
// functional calls, tensor methods and `@`.
std::vector<std::string> forward_ops(const std::vector<std::string>& lines) {
  std::map<std::string, std::string> modules;
  static const std::regex module_re{R"(self\.(\w+)\s*=\s*(?:torch\.)?nn\.(\w+)\s*\()"};
  for (const auto& l : lines) {
    std::smatch m;
    if (std::regex_search(l, m, module_re))
      modules[m[1].str()] = lowercase(m[2].str());
  }
  // The forward of class Model, not of a helper module defined before it.
  std::size_t model = 0;
  while (model < lines.size() && lines[model].rfind("class Model", 0) != 0)
    ++model;
  std::size_t indent = 0;
  auto body = body_of(lines, "forward", indent, model < lines.size() ? model : 0);
  std::vector<std::string> ops;
  static const std::regex call_re{
      R"((self\.(\w+)\s*\()|((?:torch\.nn\.functional|torch\.linalg|torch|F)\.(\w+)\s*\()|(\.(\w+)\s*\()|(\s@\s))"};
  for (const auto& l : body) {
    for (auto it = std::sregex_iterator(l.begin(), l.end(), call_re); it != std::sregex_iterator(); ++it) {
      const auto& m = *it;
      std::string op;
      if (m[1].matched) {
        auto found = modules.find(m[2].str());
        op = found != modules.end() ? found->second : "";
      } else if (m[3].matched) {
        op = lowercase(m[4].str());
      } else if (m[5].matched) {
        op = lowercase(m[6].str());
      } else {
        op = "@";
      }
      if (!op.empty() && !is_layout(op))
        ops.push_back(op == "@" ? "matmul" : op);
    }
  }
  return ops;
}

std::string family_of(const std::vector<std::string>& ops, int level) {
  if (level >= 3)
    return "kb_network";
  std::string main;
  for (const auto& op : ops) {
    auto c = category(op);
    if (c != "elementwise") {
      main = c;
      break;
    }
  }
  if (main.empty())
    main = "elementwise";  // arithmetic only ("A * s") or pointwise calls
  const bool fused = level == 2 || (level == 0 && ops.size() > 1);
  return fused ? "kb_fused_" + main : "kb_" + main;
}

}  // namespace

std::optional<double> eval_constant(std::string_view expr, const names_t& names) {
  return evaluator{expr, names, 0}.run();
}

kernelbench_info read_kernelbench_problem(std::string_view source, int level) {
  kernelbench_info info;
  auto lines = lines_of(source);
  names_t names;
  collect_assignments(lines, 0, names);
  info.ops = forward_ops(lines);
  info.family = family_of(info.ops, level);

  std::size_t indent = 0;
  auto body = body_of(lines, "get_inputs", indent);
  auto local = names;
  collect_assignments(body, indent, local);
  static const std::regex create_re{
      R"((?:(\w+)\s*=\s*)?torch\.(rand|randn|randint|ones|zeros|empty|full)\s*\()"};
  int index = 0;
  for (const auto& l : body) {
    for (auto it = std::sregex_iterator(l.begin(), l.end(), create_re); it != std::sregex_iterator(); ++it) {
      const auto& m = *it;
      auto open = static_cast<std::size_t>(m.position(0) + m.length(0) - 1);
      auto args = call_args(l, open);
      auto fn = m[2].str();
      if (fn == "full") {  // full(size, value): the size only
        auto parts = split_top(args);
        args = parts.empty() ? std::string{} : parts.front();
      }
      auto shape = shape_of(fn, args, local);
      if (!shape) {
        ++info.unknown_inputs;
        continue;
      }
      tensor_spec t;
      t.name = m[1].matched ? m[1].str() : "in" + std::to_string(index);
      t.shape = std::move(*shape);
      t.init = fn == "randn" ? "normal" : "uniform";
      t.lo = 0.0;
      info.inputs.push_back(std::move(t));
      ++index;
    }
  }

  auto init = body_of(lines, "get_init_inputs", indent);
  for (const auto& l : init) {
    auto t = trim(l);
    if (t.rfind("return", 0) != 0)
      continue;
    auto seq = as_sequence(trim(t.substr(6)));
    for (const auto& a : seq ? *seq : std::vector<std::string>{}) {
      auto v = eval_constant(a, names);
      if (v) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.17g", *v);
        info.init_args.emplace_back(buf);
      } else {
        info.init_args.push_back(a);
      }
    }
  }
  return info;
}

}  // namespace kforge::hardware
