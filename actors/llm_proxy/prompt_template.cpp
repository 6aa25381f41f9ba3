#include "actors/llm_proxy/prompt_template.hpp"

#include "runtime/base/error.hpp"

#include <cctype>

namespace kforge::actors {

namespace {

// Line and column (1-based) of byte `pos` in `text`.
std::string position(std::string_view text, std::size_t pos) {
  std::size_t line = 1;
  std::size_t col = 1;
  for (std::size_t i = 0; i < pos && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return std::to_string(line) + ":" + std::to_string(col);
}

bool valid_name(std::string_view name) {
  if (name.empty())
    return false;
  for (char c : name)
    if (!(std::islower(static_cast<unsigned char>(c)) != 0 || c == '_'))
      return false;
  return true;
}

}  // namespace

caf::expected<prompt_template> prompt_template::parse(std::string_view text, const std::string& file,
                                                      const std::set<std::string>& known) {
  struct open_section {
    std::string name;
    std::size_t at = 0;
    std::vector<node> outer;  // the nodes before the section opened
    node::kind what = node::kind::section;
  };
  std::vector<open_section> stack;
  std::vector<node> nodes;
  auto error = [&](std::size_t at, const std::string& what) {
    return make_error(errc::bad_config, file + ":" + position(text, at) + ": " + what);
  };
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      nodes.push_back({node::kind::text, std::string{text.substr(pos)}, {}});
      break;
    }
    if (open > pos)
      nodes.push_back({node::kind::text, std::string{text.substr(pos, open - pos)}, {}});
    auto close = text.find("}}", open + 2);
    if (close == std::string_view::npos)
      return error(open, "unclosed tag '{{' (no matching '}}')");
    auto inner = text.substr(open + 2, close - open - 2);
    while (!inner.empty() && inner.front() == ' ')
      inner.remove_prefix(1);
    while (!inner.empty() && inner.back() == ' ')
      inner.remove_suffix(1);
    pos = close + 2;
    if (!inner.empty() && inner.front() == '!')
      continue;
    char sigil = inner.empty() ? '\0' : inner.front();
    auto name = (sigil == '#' || sigil == '^' || sigil == '/') ? inner.substr(1) : inner;
    if (!valid_name(name))
      return error(open, "bad tag '{{" + std::string{inner} + "}}' (names are [a-z_]+)");
    if (known.count(std::string{name}) == 0) {
      std::string list;
      for (const auto& k : known)
        list += (list.empty() ? "" : ", ") + k;
      return error(open, "unknown variable '" + std::string{name} + "' (known: " + list + ")");
    }
    if (sigil == '#' || sigil == '^') {
      stack.push_back({std::string{name}, open, std::move(nodes),
                       sigil == '#' ? node::kind::section : node::kind::inverted});
      nodes.clear();
    } else if (sigil == '/') {
      if (stack.empty() || stack.back().name != name)
        return error(open, "'{{/" + std::string{name} + "}}' closes no open section" +
                               (stack.empty() ? std::string{} : " (open: '" + stack.back().name + "')"));
      node section{stack.back().what, stack.back().name, std::move(nodes)};
      nodes = std::move(stack.back().outer);
      stack.pop_back();
      nodes.push_back(std::move(section));
    } else {
      nodes.push_back({node::kind::var, std::string{name}, {}});
    }
  }
  if (!stack.empty())
    return error(stack.back().at, "section '" + stack.back().name + "' is never closed");
  prompt_template t;
  t.nodes_ = std::move(nodes);
  return t;
}

void prompt_template::render_nodes(const std::vector<node>& nodes,
                                   const std::map<std::string, std::string>& vars, std::string& out) {
  for (const auto& n : nodes) {
    auto it = vars.find(n.value);
    bool empty = it == vars.end() || it->second.empty();
    switch (n.what) {
      case node::kind::text:
        out += n.value;
        break;
      case node::kind::var:
        if (!empty)
          out += it->second;
        break;
      case node::kind::section:
        if (!empty)
          render_nodes(n.children, vars, out);
        break;
      case node::kind::inverted:
        if (empty)
          render_nodes(n.children, vars, out);
        break;
    }
  }
}

std::string prompt_template::render(const std::map<std::string, std::string>& vars) const {
  std::string out;
  render_nodes(nodes_, vars, out);
  return out;
}

}  // namespace kforge::actors
