#pragma once

// The catalogue of named optimization techniques of one backend (configs/techniques/<backend>.toml)
// and the techniques models named that it lacked (learned: kind "technique" memory items). Plain
// data and pure functions, no CAF actor types.
//
// File format, one [[technique]] table per technique:
//   id = "snake_case"   (required, unique)     name = "..."      (required)
//   summary = "..."     (required)             applies_to = ["memory" | "compute" | "latency", ...]
//   families = ["*"] or family names (default ["*"])               risks = "..." (optional)

#include "memory/records.hpp"

#include <caf/expected.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace kforge::actors {

/// One technique.
struct technique {
  std::string id;
  std::string name;
  std::string summary;
  std::vector<std::string> applies_to;  ///< bounds: memory, compute, latency
  std::vector<std::string> families = {"*"};
  std::string risks;
  bool learned = false;  ///< named by a model, not in the file
};

/// A backend's techniques in file order, learned ones after.
struct technique_catalogue {
  std::string backend;
  std::vector<technique> techniques;

  /// The technique `name_or_id` names: its id or its name (or the name without its
  /// parenthesised part), compared as slugs, so case, spaces and hyphens do not matter. Null if none.
  [[nodiscard]] const technique* find(const std::string& name_or_id) const;

  /// True when `t` may be drawn for a parent of `family` that is `bound`-bound.
  [[nodiscard]] static bool applies(const technique& t, const std::string& family, const std::string& bound);
};

/// Catalogues by backend ("cpu", "cuda"); a backend without one draws no technique.
using technique_catalogues = std::map<std::string, technique_catalogue>;

/// "SIMD Vectorization (AVX2)" -> "simd_vectorization_avx2": lower case, runs of other characters
/// become one '_', none at either end.
[[nodiscard]] std::string technique_slug(const std::string& text);

/// Parses catalogue `text` of `backend`; `file` names it in errors. Errors: errc::bad_config,
/// "FILE:LINE: what is wrong" (syntax, unknown key, missing or duplicate id, missing name or
/// summary, a bound other than memory / compute / latency, no [[technique]] at all).
[[nodiscard]] caf::expected<technique_catalogue> parse_technique_catalogue(const std::string& text,
                                                                           const std::string& file,
                                                                           const std::string& backend);

/// Reads and parses the catalogue file `path`. Errors: as parse_technique_catalogue, or
/// errc::bad_config when the file cannot be read.
[[nodiscard]] caf::expected<technique_catalogue> load_technique_catalogue(const std::filesystem::path& path,
                                                                          const std::string& backend);

/// The learned technique a memory item of kind "technique" holds (payload: id, name, summary,
/// applies_to, families, backend); false when the item is not one or is malformed.
[[nodiscard]] bool learned_technique(const memory::memory_item& item, technique& out, std::string& backend);

/// Adds the learned techniques among `items` (of the catalogue's backend) that it lacks.
void learn_techniques(technique_catalogue& catalogue, const std::vector<memory::memory_item>& items);

/// The memory item that makes `t` (a technique a model named) join `backend`'s catalogue:
/// kind "technique", id sha256("technique", backend, t.id), first named by `task_id` of `family`.
[[nodiscard]] memory::memory_item learned_technique_item(const technique& t, const std::string& backend,
                                                         const std::string& family,
                                                         const std::string& task_id, int64_t now_ms);

/// What a candidate's "Technique:" line names, resolved against `catalogue`: the ids in the
/// order named, duplicates dropped (at most 4). A name the catalogue lacks becomes a new
/// technique (id = its slug, `learned`), appended to `fresh`, with `summary` (the model's own
/// line) and applies_to = {bound}, families = {family}. Items "none" and empty ones are skipped.
[[nodiscard]] std::vector<std::string> resolve_techniques(const technique_catalogue& catalogue,
                                                          const std::string& named,
                                                          const std::string& summary,
                                                          const std::string& family, const std::string& bound,
                                                          std::vector<technique>& fresh);

}  // namespace kforge::actors
