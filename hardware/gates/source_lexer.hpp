#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kforge::hardware {

/// Kinds of tokens the hack gate's lexer produces.
enum class token_kind { identifier, number, string, character, header, punct };

/// One preprocessing token of a C++ source.
struct token {
  token_kind kind = token_kind::punct;  ///< what it is
  std::string text;                     ///< identifier or punctuator; contents of a literal or header name
  int line = 0;                         ///< 1-based line in the original source (line splices counted)
  bool line_start = false;              ///< first token of a logical line (so '#' starts a directive)
};

/// The tokens of a source and the problems met while lexing it.
struct lexed {
  std::vector<token> tokens;          ///< in source order
  std::vector<std::string> problems;  ///< "line N: unterminated literal" and the like
};

/// Tokenises C++ source well enough for the hack gate: splices continued
/// lines, drops comments, keeps string and character literals (prefixes and
/// raw strings included) as single tokens, keeps digit separators inside
/// numbers, reads `<...>` after `#include` as one header token, skips the
/// text of `#error` / `#warning`, and maps the digraphs `%:` and `%:%:`.
/// Lexing stops at the first unterminated comment or literal. Pure.
[[nodiscard]] lexed lex_source(std::string_view source);

/// True for the characters of an identifier ('$' included, as GCC allows).
[[nodiscard]] bool is_identifier_char(char c) noexcept;

/// `text` without its white space (as std::isspace says): how the gates and
/// the KernelBench operator recognition compare expressions.
[[nodiscard]] std::string without_spaces(std::string_view text);

}  // namespace kforge::hardware
