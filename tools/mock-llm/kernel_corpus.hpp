#pragma once

// The simulated model's kernel corpus (tools/mock-llm/corpus/<family>/*.cpp, header format in
// corpus/README.md) and how the mock chooses from it. The choice sees only what a model could:
// the prompt's request and the techniques each variant uses. It never reads `expect` tags or
// measurements, so only kforge's own measurements can learn which techniques pay; `mistake` is
// read only to realise the configured mistake rate. Pure functions, no sockets.

#include <caf/expected.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace kforge::mock {

/// Where the corpus comes from and how answers are drawn from it.
struct corpus_config {
  std::string dir;              ///< corpus root (one folder per family); empty: template answers only
  std::string techniques_file;  ///< technique catalogue (ids and names); empty: default_techniques_file()
  double mistake_rate = 0.2;    ///< probability of answering with a variant whose mistake is not none
  double technique_weight = 4;  ///< draw weight of a variant using a requested technique (others 1)
};

/// One kernel variant: its header fields (`expect` is deliberately not kept) and its source.
struct corpus_variant {
  std::string name;                     ///< "family/short_name"
  std::vector<std::string> techniques;  ///< technique ids; empty for "none"
  std::string mistake;                  ///< "none" or the kind of mistake
  std::string summary;                  ///< the model's one-line statement of its change
  std::string source;                   ///< the translation unit without the five header lines
};

/// A technique of the catalogue as a prompt may name it.
struct technique_name {
  std::string id;    ///< "simd_vectorization"
  std::string name;  ///< "SIMD vectorization"
};

/// The loaded corpus: variants by family (sorted by file name) and the technique catalogue.
struct kernel_corpus {
  std::map<std::string, std::vector<corpus_variant>> families;
  std::vector<technique_name> techniques;
};

/// The source tree's corpus directory (compile definition KFORGE_MOCK_CORPUS_DIR).
[[nodiscard]] std::string default_corpus_dir();

/// The source tree's CPU technique catalogue (configs/techniques/cpu.toml).
[[nodiscard]] std::string default_techniques_file();

/// Reads every `<dir>/<family>/*.cpp` and the catalogue `techniques_file`. Errors: errc::bad_config
/// naming the file and line of a malformed header or an unreadable file or directory.
[[nodiscard]] caf::expected<kernel_corpus> load_corpus(const std::filesystem::path& dir,
                                                       const std::filesystem::path& techniques_file);

/// Parses one variant file's text; `file` names it in errors. Errors: errc::bad_config.
[[nodiscard]] caf::expected<corpus_variant> parse_variant(const std::string& text, const std::string& file);

/// The part of a user message that states the request: the lines after its last code block
/// and its last list item (the reference, the parent kernel, memory and feedback lists all
/// come before the closing instruction in kforge's templates), code blocks excluded.
[[nodiscard]] std::string request_section(const std::string& user_message);

/// Ids of the catalogue's techniques that `request` names, by id or by name (case-insensitive;
/// a name's parenthesised part is optional), in catalogue order.
[[nodiscard]] std::vector<std::string> requested_techniques(const std::string& request,
                                                            const std::vector<technique_name>& catalogue);

/// Draws a variant of `variants` (not empty): with probability cfg.mistake_rate from those
/// whose mistake is not none, else from the others (either pool falls back to the other when
/// empty); within the pool a variant using one of `requested` weighs cfg.technique_weight,
/// any other 1.
[[nodiscard]] const corpus_variant& choose_variant(const std::vector<corpus_variant>& variants,
                                                   const std::vector<std::string>& requested,
                                                   const corpus_config& cfg, std::mt19937_64& rng);

/// A Markdown reply with `v`: a sentence, "Optimization: <summary>", one ```cpp block, a closing
/// sentence; wording drawn with `rng`.
[[nodiscard]] std::string corpus_reply(const corpus_variant& v, std::mt19937_64& rng);

}  // namespace kforge::mock
