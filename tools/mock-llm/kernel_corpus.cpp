#include "tools/mock-llm/kernel_corpus.hpp"

#include "runtime/base/error.hpp"
#include "runtime/base/toml_reader.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>
#include <system_error>

#ifndef KFORGE_MOCK_CORPUS_DIR
#define KFORGE_MOCK_CORPUS_DIR "tools/mock-llm/corpus"
#endif
#ifndef KFORGE_MOCK_TECHNIQUES_FILE
#define KFORGE_MOCK_TECHNIQUES_FILE "configs/techniques/cpu.toml"
#endif

namespace kforge::mock {

namespace {

const char* const header_keys[] = {"variant", "techniques", "expect", "mistake", "summary"};
constexpr std::size_t header_lines = 5;

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos)
    return {};
  auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in{text};
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

// Whether `needle` occurs in `hay` (both lower case) with no word character on either side.
bool contains_word(const std::string& hay, const std::string& needle) {
  if (needle.empty())
    return false;
  for (auto at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) {
    bool left = at == 0 || !is_word_char(hay[at - 1]);
    auto end = at + needle.size();
    bool right = end >= hay.size() || !is_word_char(hay[end]);
    if (left && right)
      return true;
  }
  return false;
}

bool is_list_item(const std::string& line) {
  auto t = trim(line);
  if (t.size() >= 2 && (t[0] == '-' || t[0] == '*' || t[0] == '+') && t[1] == ' ')
    return true;
  std::size_t digits = 0;
  while (digits < t.size() && std::isdigit(static_cast<unsigned char>(t[digits])) != 0)
    ++digits;
  return digits > 0 && digits + 1 < t.size() && (t[digits] == '.' || t[digits] == ')') &&
         t[digits + 1] == ' ';
}

bool is_fence(const std::string& line) {
  auto t = trim(line);
  return t.rfind("```", 0) == 0 || t.rfind("~~~", 0) == 0;
}

caf::expected<std::vector<technique_name>> load_catalogue(const std::filesystem::path& file) {
  auto text = toml_reader::slurp(file, errc::bad_config, "the technique catalogue");
  if (!text)
    return text.error();
  toml_reader reader{file.string()};
  return reader.read(*text, errc::bad_config, [&](const toml_value& root) {
    std::vector<technique_name> out;
    if (!root.contains("technique"))
      reader.fail("no [[technique]] entries");
    for (const auto& t : root.at("technique").as_array()) {
      technique_name n;
      reader.get(t, "id", n.id);
      reader.get(t, "name", n.name);
      if (n.id.empty())
        reader.fail(t, "a technique needs an id");
      out.push_back(std::move(n));
    }
    return out;
  });
}

}  // namespace

std::string default_corpus_dir() {
  return KFORGE_MOCK_CORPUS_DIR;
}

std::string default_techniques_file() {
  return KFORGE_MOCK_TECHNIQUES_FILE;
}

caf::expected<corpus_variant> parse_variant(const std::string& text, const std::string& file) {
  auto lines = split_lines(text);
  corpus_variant v;
  for (std::size_t i = 0; i < header_lines; ++i) {
    std::string prefix = std::string{"// "} + header_keys[i] + ": ";
    if (i >= lines.size() || lines[i].rfind(prefix, 0) != 0) {
      std::string what = file;
      what += ":" + std::to_string(i + 1);
      what += ": expected '" + prefix;
      what += "...'";
      return make_error(errc::bad_config, what);
    }
    auto value = trim(lines[i].substr(prefix.size()));
    switch (i) {
      case 0:
        v.name = value;
        break;
      case 1: {
        std::stringstream list{value};
        for (std::string id; std::getline(list, id, ',');)
          if (auto t = trim(id); !t.empty() && t != "none")
            v.techniques.push_back(t);
        break;
      }
      case 2:
        // `expect` says whether the variant is right: the model must not know, so it is skipped.
        break;
      case 3:
        v.mistake = value;
        break;
      default:
        v.summary = value;
        break;
    }
  }
  if (v.name.empty() || v.mistake.empty() || v.summary.empty())
    return make_error(errc::bad_config, file + ": empty variant, mistake or summary in the header");
  for (std::size_t i = header_lines; i < lines.size(); ++i)
    v.source += lines[i] + "\n";
  return v;
}

caf::expected<kernel_corpus> load_corpus(const std::filesystem::path& dir,
                                         const std::filesystem::path& techniques_file) {
  kernel_corpus corpus;
  auto catalogue = load_catalogue(techniques_file);
  if (!catalogue)
    return catalogue.error();
  corpus.techniques = std::move(*catalogue);
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    return make_error(errc::bad_config, dir.string() + ": the corpus directory does not exist");
  std::vector<std::filesystem::path> files;
  try {
    for (const auto& family : std::filesystem::directory_iterator{dir}) {
      if (!family.is_directory())
        continue;
      for (const auto& f : std::filesystem::directory_iterator{family.path()})
        if (f.path().extension() == ".cpp")
          files.push_back(f.path());
    }
  } catch (const std::filesystem::filesystem_error& e) {
    return make_error(errc::bad_config, dir.string() + ": cannot list the corpus: " + e.what());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    auto text = toml_reader::slurp(f, errc::bad_config, "the variant");
    if (!text)
      return text.error();
    auto v = parse_variant(*text, f.string());
    if (!v)
      return v.error();
    corpus.families[f.parent_path().filename().string()].push_back(std::move(*v));
  }
  return corpus;
}

std::string request_section(const std::string& user_message) {
  auto lines = split_lines(user_message);
  std::size_t start = 0;
  bool in_code = false;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (is_fence(lines[i])) {
      in_code = !in_code;
      start = i + 1;
    } else if (in_code || is_list_item(lines[i])) {
      start = i + 1;
    }
  }
  std::string out;
  for (std::size_t i = start; i < lines.size(); ++i)
    out += lines[i] + "\n";
  return out;
}

std::vector<std::string> requested_techniques(const std::string& request,
                                              const std::vector<technique_name>& catalogue) {
  auto text = lower(request);
  std::vector<std::string> out;
  for (const auto& t : catalogue) {
    auto name = lower(t.name);
    auto short_name = trim(name.substr(0, name.find('(')));
    if (contains_word(text, lower(t.id)) || contains_word(text, name) || contains_word(text, short_name))
      out.push_back(t.id);
  }
  return out;
}

const corpus_variant& choose_variant(const std::vector<corpus_variant>& variants,
                                     const std::vector<std::string>& requested, const corpus_config& cfg,
                                     std::mt19937_64& rng) {
  std::vector<const corpus_variant*> right;
  std::vector<const corpus_variant*> wrong;
  for (const auto& v : variants)
    (v.mistake == "none" ? right : wrong).push_back(&v);
  std::uniform_real_distribution<double> u{0, 1};
  bool mistaken = u(rng) < cfg.mistake_rate;
  const auto& pool = (mistaken && !wrong.empty()) || right.empty() ? wrong : right;
  std::vector<double> weights;
  for (const auto* v : pool) {
    bool uses = std::any_of(v->techniques.begin(), v->techniques.end(), [&](const std::string& t) {
      return std::find(requested.begin(), requested.end(), t) != requested.end();
    });
    weights.push_back(uses ? cfg.technique_weight : 1.0);
  }
  std::discrete_distribution<std::size_t> pick{weights.begin(), weights.end()};
  return *pool[pick(rng)];
}

std::string corpus_reply(const corpus_variant& v, std::mt19937_64& rng) {
  static const char* const openers[] = {
      "Here is an optimized version of the kernel.",
      "Sure! Below is a faster implementation that keeps the exact signature.",
      "I rewrote the kernel; the signature and the results stay the same.",
  };
  static const char* const closers[] = {
      "It reads every size from the parameters and compiles with -O3 -march=native.",
      "It should stay within the tolerance of the reference.",
      "Let me know if you want me to try a different approach.",
  };
  std::uniform_int_distribution<std::size_t> three{0, 2};
  std::string text = openers[three(rng)];
  text += "\n\nOptimization: " + v.summary + "\n";
  if (!v.techniques.empty()) {
    text += "Technique: ";
    for (std::size_t i = 0; i < v.techniques.size(); ++i)
      text += (i > 0 ? ", " : "") + v.techniques[i];
    text += "\n";
  }
  text += "\n";
  text += "```cpp\n" + v.source + (v.source.empty() || v.source.back() == '\n' ? "" : "\n") + "```\n\n";
  text += std::string{closers[three(rng)]} + "\n";
  return text;
}

}  // namespace kforge::mock
