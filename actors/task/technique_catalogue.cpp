#include "actors/task/technique_catalogue.hpp"

#include "runtime/base/error.hpp"
#include "runtime/base/hash.hpp"
#include "runtime/base/json_field.hpp"
#include "runtime/base/toml_reader.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <set>

namespace kforge::actors {

namespace {

constexpr std::size_t max_named = 4;        // techniques taken from one "Technique:" line
constexpr std::size_t max_name_chars = 80;  // longer items are prose, not a technique's name

bool is_bound(const std::string& b) {
  return b == "memory" || b == "compute" || b == "latency";
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n`*\"'.");
  if (b == std::string::npos)
    return {};
  auto e = s.find_last_not_of(" \t\r\n`*\"'.");
  return s.substr(b, e - b + 1);
}

}  // namespace

std::string technique_slug(const std::string& text) {
  std::string out;
  bool gap = false;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0) {
      if (gap && !out.empty())
        out += '_';
      out += static_cast<char>(std::tolower(c));
      gap = false;
    } else {
      gap = true;
    }
  }
  return out;
}

const technique* technique_catalogue::find(const std::string& name_or_id) const {
  auto slug = technique_slug(name_or_id);
  if (slug.empty())
    return nullptr;
  for (const auto& t : techniques) {
    auto short_name = t.name.substr(0, t.name.find('('));
    if (slug == t.id || slug == technique_slug(t.name) || slug == technique_slug(short_name))
      return &t;
  }
  return nullptr;
}

namespace {

// The catalogue family of a KernelBench family: "kb_fused_conv" -> "conv2d", "kb_matmul" ->
// "matmul", "kb_norm" -> "layernorm"; other families are their own.
std::string catalogue_family(const std::string& family) {
  std::string f = family;
  for (const char* prefix : {"kb_fused_", "kb_"})
    if (f.rfind(prefix, 0) == 0) {
      f = f.substr(std::string{prefix}.size());
      break;
    }
  if (f == "conv")
    return "conv2d";
  if (f == "norm")
    return "layernorm";
  if (f == "sequence")
    return "attention";
  return f;
}

}  // namespace

bool technique_catalogue::applies(const technique& t, const std::string& family, const std::string& bound) {
  const auto alias = catalogue_family(family);
  bool family_ok = std::any_of(t.families.begin(), t.families.end(),
                               [&](const std::string& f) { return f == "*" || f == family || f == alias; });
  bool bound_ok = t.applies_to.empty() ||
                  std::find(t.applies_to.begin(), t.applies_to.end(), bound) != t.applies_to.end();
  return family_ok && bound_ok;
}

caf::expected<technique_catalogue> parse_technique_catalogue(const std::string& text, const std::string& file,
                                                             const std::string& backend) {
  toml_reader reader{file};
  return reader.read(text, errc::bad_config, [&](const toml_value& root) {
    technique_catalogue out;
    out.backend = backend;
    reader.only(root, "the catalogue", {"technique"});
    if (!root.contains("technique"))
      reader.fail("no [[technique]] entries");
    const auto& list = root.at("technique");
    if (!list.is_array())
      reader.fail(list, "'technique' must be an array of tables ([[technique]])");
    std::set<std::string> ids;
    for (const auto& t : list.as_array()) {
      reader.only(t, "[technique]", {"id", "name", "summary", "applies_to", "families", "risks"});
      technique x;
      reader.get(t, "id", x.id);
      reader.get(t, "name", x.name);
      reader.get(t, "summary", x.summary);
      reader.get(t, "applies_to", x.applies_to);
      reader.get(t, "families", x.families);
      reader.get(t, "risks", x.risks);
      if (x.id.empty())
        reader.fail(t, "a technique needs an id");
      if (technique_slug(x.id) != x.id)
        reader.fail(t.at("id"), "id '" + x.id + "' must be snake_case (a-z, 0-9, '_')");
      if (!ids.insert(x.id).second)
        reader.fail(t.at("id"), "duplicate technique id '" + x.id + "'");
      if (x.name.empty())
        reader.fail(t, "technique '" + x.id + "' needs a name");
      if (x.summary.empty())
        reader.fail(t, "technique '" + x.id + "' needs a summary");
      if (x.applies_to.empty())
        reader.fail(t, "technique '" + x.id + "' needs applies_to (memory, compute, latency)");
      for (const auto& b : x.applies_to)
        if (!is_bound(b))
          reader.fail(t.at("applies_to"),
                      "technique '" + x.id + "': bound '" + b + "' is not memory, compute or latency");
      if (x.families.empty())
        reader.fail(t.at("families"), "technique '" + x.id + "': families is empty (use [\"*\"] for all)");
      out.techniques.push_back(std::move(x));
    }
    return out;
  });
}

caf::expected<technique_catalogue> load_technique_catalogue(const std::filesystem::path& path,
                                                            const std::string& backend) {
  auto text = toml_reader::slurp(path, errc::bad_config, "the technique catalogue");
  if (!text)
    return text.error();
  return parse_technique_catalogue(*text, path.string(), backend);
}

bool learned_technique(const memory::memory_item& item, technique& out, std::string& backend) {
  if (item.kind != "technique")
    return false;
  auto p = nlohmann::json::parse(item.payload, nullptr, false);
  if (p.is_discarded() || !p.is_object() || !p.contains("id") || !p["id"].is_string())
    return false;
  technique t;
  t.id = p["id"].get<std::string>();
  t.name = string_field(p, "name", t.id);
  t.summary = string_field(p, "summary", std::string{});
  t.risks = string_field(p, "risks", std::string{});
  if (p.contains("applies_to") && p["applies_to"].is_array())
    for (const auto& b : p["applies_to"])
      if (b.is_string())
        t.applies_to.push_back(b.get<std::string>());
  t.families.clear();
  if (p.contains("families") && p["families"].is_array())
    for (const auto& f : p["families"])
      if (f.is_string())
        t.families.push_back(f.get<std::string>());
  if (t.families.empty())
    t.families = {item.family};
  t.learned = true;
  backend = string_field(p, "backend", std::string{});
  out = std::move(t);
  return true;
}

memory::memory_item learned_technique_item(const technique& t, const std::string& backend,
                                           const std::string& family, const std::string& task_id,
                                           int64_t now_ms) {
  memory::memory_item item;
  content_hasher h;
  h.add("technique").add(backend).add(t.id);
  item.id = h.finish();
  item.kind = "technique";
  item.family = family;
  item.tags = {"technique", backend};
  item.text = "technique named by the model on " + family + ": " + t.name +
              (t.summary.empty() ? std::string{} : " (" + t.summary + ")");
  item.payload = nlohmann::json{
      {"id", t.id},
      {"name", t.name},
      {"summary", t.summary},
      {"applies_to", t.applies_to},
      {"families", t.families},
      {"backend",
       backend}}.dump();
  item.source_tasks = {task_id};
  item.created_ms = now_ms;
  item.updated_ms = now_ms;
  return item;
}

std::vector<std::string> resolve_techniques(const technique_catalogue& catalogue, const std::string& named,
                                            const std::string& summary, const std::string& family,
                                            const std::string& bound, std::vector<technique>& fresh) {
  std::vector<std::string> ids;
  std::size_t start = 0;
  while (start <= named.size() && ids.size() < max_named) {
    auto end = named.find_first_of(",;", start);
    auto part = trim(named.substr(start, end == std::string::npos ? std::string::npos : end - start));
    start = end == std::string::npos ? named.size() + 1 : end + 1;
    auto slug = technique_slug(part);
    if (slug.empty() || slug == "none" || part.size() > max_name_chars)
      continue;
    std::string id;
    if (const auto* t = catalogue.find(part)) {
      id = t->id;
    } else {
      auto known = std::find_if(fresh.begin(), fresh.end(), [&](const technique& f) { return f.id == slug; });
      if (known == fresh.end()) {
        technique learned;
        learned.id = slug;
        learned.name = part;
        learned.summary = summary;
        if (!bound.empty())
          learned.applies_to = {bound};
        learned.families = {family};
        learned.learned = true;
        fresh.push_back(std::move(learned));
      }
      id = slug;
    }
    if (std::find(ids.begin(), ids.end(), id) == ids.end())
      ids.push_back(id);
  }
  return ids;
}

void learn_techniques(technique_catalogue& catalogue, const std::vector<memory::memory_item>& items) {
  for (const auto& item : items) {
    technique t;
    std::string backend;
    if (!learned_technique(item, t, backend) || backend != catalogue.backend)
      continue;
    bool known = std::any_of(catalogue.techniques.begin(), catalogue.techniques.end(),
                             [&](const technique& c) { return c.id == t.id; });
    if (!known)
      catalogue.techniques.push_back(std::move(t));
  }
}

}  // namespace kforge::actors
