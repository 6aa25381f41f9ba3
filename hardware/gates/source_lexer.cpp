#include "hardware/gates/source_lexer.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace kforge::hardware {

namespace {

bool is_ident_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '$';
}
bool is_ident_char(char c) noexcept {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '$';
}

// Tokenises C++ source well enough for the hack gate: splices continued lines,
// drops comments, keeps literals as single tokens, and reads header names
// after #include so that `<cmath>` is one token.
class lexer {
 public:
  explicit lexer(std::string_view source) {
    int line = 1;
    for (std::size_t i = 0; i < source.size(); ++i) {
      if (source[i] == '\\') {
        auto j = i + 1;
        if (j < source.size() && source[j] == '\r')
          ++j;
        if (j < source.size() && source[j] == '\n') {
          i = j;
          ++line;
          continue;
        }
      }
      text_ += source[i];
      lines_.push_back(line);
      if (source[i] == '\n')
        ++line;
    }
  }

  lexed run() {
    lexed out;
    bool line_start = true;
    bool in_directive = false;
    bool expect_header = false;
    std::size_t i = 0;
    const auto n = text_.size();
    auto emit = [&](token_kind kind, std::string text, std::size_t at) {
      token t{kind, std::move(text), lines_[at], line_start};
      if (line_start)
        in_directive = t.kind == token_kind::punct && t.text == "#";
      line_start = false;
      // After "# include" (or its kin), a '<' starts a header name.
      expect_header =
          in_directive && kind == token_kind::identifier && out.tokens.size() >= 1 &&
          out.tokens.back().text == "#" && out.tokens.back().line_start &&
          (t.text == "include" || t.text == "include_next" || t.text == "import" || t.text == "embed");
      bool skip_line = in_directive && kind == token_kind::identifier && out.tokens.size() >= 1 &&
                       out.tokens.back().text == "#" && (t.text == "error" || t.text == "warning");
      out.tokens.push_back(std::move(t));
      return skip_line;
    };
    while (i < n) {
      char c = text_[i];
      if (c == '\n') {
        line_start = true;
        ++i;
        continue;
      }
      if (std::isspace(static_cast<unsigned char>(c)) != 0) {
        ++i;
        continue;
      }
      if (c == '/' && i + 1 < n && text_[i + 1] == '/') {
        while (i < n && text_[i] != '\n')
          ++i;
        continue;
      }
      if (c == '/' && i + 1 < n && text_[i + 1] == '*') {
        auto end = text_.find("*/", i + 2);
        if (end == std::string::npos) {
          out.problems.push_back(at(i) + "unterminated comment");
          break;
        }
        i = end + 2;
        continue;
      }
      auto start = i;
      if (expect_header && c == '<') {
        auto end = text_.find_first_of(">\n", i);
        if (end == std::string::npos || text_[end] != '>')
          end = text_.find('\n', i);
        if (end == std::string::npos)
          end = n;
        emit(token_kind::header, text_.substr(i + 1, end - i - 1), start);
        i = std::min(end + 1, n);
        continue;
      }
      if (is_ident_start(c)) {
        while (i < n && is_ident_char(text_[i]))
          ++i;
        auto word = text_.substr(start, i - start);
        bool prefix = word == "L" || word == "u" || word == "U" || word == "u8";
        bool raw_prefix = word == "R" || word == "LR" || word == "uR" || word == "UR" || word == "u8R";
        if (i < n && text_[i] == '"' && raw_prefix) {
          if (!raw_string(out, i))
            break;
          continue;
        }
        if (i < n && (text_[i] == '"' || text_[i] == '\'') && prefix) {
          if (!quoted(out, i, line_start))
            break;
          line_start = false;
          continue;
        }
        if (emit(token_kind::identifier, word, start))
          skip_to_newline(i);
        continue;
      }
      if (std::isdigit(static_cast<unsigned char>(c)) != 0 ||
          (c == '.' && i + 1 < n && std::isdigit(static_cast<unsigned char>(text_[i + 1])) != 0)) {
        // A pp-number, including digit separators (1'000) and exponent signs.
        ++i;
        while (i < n) {
          char d = text_[i];
          if (is_ident_char(d) || d == '.') {
            ++i;
          } else if (d == '\'' && i + 1 < n && is_ident_char(text_[i + 1])) {
            i += 2;
          } else if ((d == '+' || d == '-') && std::strchr("eEpP", text_[i - 1]) != nullptr) {
            ++i;
          } else {
            break;
          }
        }
        emit(token_kind::number, text_.substr(start, i - start), start);
        continue;
      }
      if (c == '"' || c == '\'') {
        if (!quoted(out, i, line_start))
          break;
        line_start = false;
        continue;
      }
      // Punctuators: single characters, except "##", "::" and the digraphs of '#' and "##".
      std::string punct(1, c);
      std::size_t length = 1;
      auto two = text_.substr(i, 2);
      if (text_.compare(i, 4, "%:%:") == 0) {
        punct = "##";
        length = 4;
      } else if (two == "##" || two == "::") {
        punct = two;
        length = 2;
      } else if (two == "%:") {
        punct = "#";
        length = 2;
      }
      i += length;
      emit(token_kind::punct, punct, start);
    }
    return out;
  }

 private:
  std::string at(std::size_t i) const {
    return "line " + std::to_string(lines_[std::min(i, lines_.size() - 1)]) + ": ";
  }

  void skip_to_newline(std::size_t& i) const {
    while (i < text_.size() && text_[i] != '\n')
      ++i;
  }

  // Reads a "..." or '...' literal starting at text_[i]; false if unterminated.
  bool quoted(lexed& out, std::size_t& i, bool line_start) {
    auto start = i;
    char quote = text_[i++];
    std::string body;
    while (i < text_.size() && text_[i] != quote && text_[i] != '\n') {
      if (text_[i] == '\\' && i + 1 < text_.size())
        body += text_[i++];
      body += text_[i++];
    }
    if (i >= text_.size() || text_[i] != quote) {
      out.problems.push_back(at(start) + "unterminated literal");
      return false;
    }
    ++i;
    out.tokens.push_back(
        token{quote == '"' ? token_kind::string : token_kind::character, body, lines_[start], line_start});
    return true;
  }

  // Reads R"delim( ... )delim" with text_[i] == '"'; false if unterminated.
  bool raw_string(lexed& out, std::size_t& i) {
    auto start = i;
    auto open = text_.find('(', i);
    if (open == std::string::npos || open - i > 17) {
      out.problems.push_back(at(start) + "malformed raw string");
      return false;
    }
    auto close = ")" + text_.substr(i + 1, open - i - 1) + "\"";
    auto end = text_.find(close, open);
    if (end == std::string::npos) {
      out.problems.push_back(at(start) + "unterminated raw string");
      return false;
    }
    out.tokens.push_back(
        token{token_kind::string, text_.substr(open + 1, end - open - 1), lines_[start], false});
    i = end + close.size();
    return true;
  }

  std::string text_;
  std::vector<int> lines_;
};

}  // namespace

lexed lex_source(std::string_view source) {
  return lexer{source}.run();
}

bool is_identifier_char(char c) noexcept {
  return is_ident_char(c);
}

std::string without_spaces(std::string_view text) {
  std::string out;
  for (char c : text)
    if (std::isspace(static_cast<unsigned char>(c)) == 0)
      out += c;
  return out;
}

}  // namespace kforge::hardware
