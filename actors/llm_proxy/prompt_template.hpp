#pragma once

// A small text template language for the prompts in configs/prompts/:
//
//   {{name}}              the value of variable `name`
//   {{#name}} ... {{/name}}   the enclosed text, only if `name` is non-empty
//   {{^name}} ... {{/name}}   the enclosed text, only if `name` is empty
//   {{! comment }}        nothing
//
// Names are [a-z_]+ and must be among the variables the builder knows, so a
// typo is an error when the template is loaded, with file:line:column.

#include <caf/expected.hpp>

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace kforge::actors {

/// A parsed template; immutable once made.
class prompt_template {
 public:
  /// Parses `text` (from `file`, named in errors) allowing only the variables in `known`.
  /// Errors: errc::bad_config "file:line:column: what" for an unknown variable, an
  /// unclosed tag or section, or a close tag that matches no open section.
  [[nodiscard]] static caf::expected<prompt_template> parse(std::string_view text, const std::string& file,
                                                            const std::set<std::string>& known);

  /// Renders with `vars`; variables absent from `vars` are empty.
  [[nodiscard]] std::string render(const std::map<std::string, std::string>& vars) const;

 private:
  struct node {
    enum class kind { text, var, section, inverted } what = kind::text;
    std::string value;  ///< text, or the variable name
    std::vector<node> children;
  };
  static void render_nodes(const std::vector<node>& nodes, const std::map<std::string, std::string>& vars,
                           std::string& out);
  std::vector<node> nodes_;
};

}  // namespace kforge::actors
