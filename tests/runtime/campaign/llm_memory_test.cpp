// End to end, memory from a model's kernels: a campaign (the kforge binary in a child process)
// against the in-process mock as a simulated model writes memory items in words whose values
// move, and a second campaign on other tasks, sharing the store, retrieves them: the prompts
// the mock received contain their texts.

#include "hardware/tasks/task_loader.hpp"
#include "memory/store.hpp"
#include "tests/support/campaign_view.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tools/mock-llm/mock_llm.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

using namespace kforge;

namespace {

const std::vector<std::string> first_tasks = {"row_sum_256x2048.toml", "softmax_rows_64x1200.toml"};
const std::vector<std::string> second_tasks = {"row_sum_1000x600.toml", "softmax_rows_128x2048.toml"};

kforge::task_map load(const std::vector<std::string>& files) {
  auto loaded = hardware::load_tasks(std::filesystem::path{KFORGE_SOURCE_DIR} / "configs/tasks/cpu", files);
  REQUIRE(loaded);
  kforge::task_map tasks;
  for (auto& t : *loaded) {
    auto id = t.id;
    tasks.emplace(std::move(id), std::move(t));
  }
  return tasks;
}

std::string write_config(const test::temp_dir& dir, const std::string& name, uint16_t port,
                         const std::vector<std::string>& files) {
  auto path = dir.path() / (name + ".toml");
  std::ofstream out{path};
  out << "[campaign]\nname = \"" << name << "\"\nseed = 5\ntasks = [";
  for (std::size_t i = 0; i < files.size(); ++i)
    out << (i > 0 ? ", " : "") << "\"" << KFORGE_SOURCE_DIR << "/configs/tasks/cpu/" << files[i] << "\"";
  out << "]\n[budget]\nevaluations_per_task = 6\nplateau = 0\n"
      << "[policy]\nkind = \"openai\"\ncandidates_per_step = 2\n"
      << "[memory]\nconsolidate_every = 4\ninsight_min_evidence = 2\n"
      << "[machine]\nmeasure = false\n"
      << "[llm]\nprompts = \"" << KFORGE_SOURCE_DIR << "/configs/prompts\"\n"
      << "max_attempts = 4\nbackoff_ms = 1\nmax_backoff_ms = 20\n"
      << "[[llm.endpoint]]\nname = \"mock\"\nbase_url = \"http://127.0.0.1:" << port << "/v1\"\n"
      << "model = \"mock-coder\"\nmax_tokens = 800\ntimeout_s = 5\nmax_concurrent = 2\n"
      << "[verifier]\nmin_runs = 3\nmax_runs = 10\ntarget_ms = 5\nwarmup = 1\ncompile_jobs = 1\nseeds = "
         "2\nfinal_rounds = 0\n"
      << "[store]\npath = \"store\"\n";
  return path.string();
}

mock::server_config simulated_model(uint64_t seed) {
  mock::server_config mcfg;
  mcfg.faults.seed = seed;
  mcfg.corpus.dir = mock::default_corpus_dir();
  mcfg.corpus.mistake_rate = 0.25;  // some kernels fail the gates: failed steps are memory too
  mcfg.completion_tokens = 600;
  mcfg.keep_requests = true;
  return mcfg;
}

std::map<std::string, memory::memory_item> read_memory(const std::filesystem::path& store_path) {
  auto store = memory::store::open(store_path);
  REQUIRE(store);
  auto tx = store->read();
  REQUIRE(tx);
  auto items = memory::list_memory(*tx);
  REQUIRE(items);
  std::map<std::string, memory::memory_item> out;
  for (auto& item : *items) {
    auto id = item.id;
    out.emplace(std::move(id), std::move(item));
  }
  return out;
}

// The user messages of the requests the mock answered.
std::vector<std::string> user_prompts(const mock::server& srv) {
  std::vector<std::string> out;
  for (const auto& body : srv.requests()) {
    auto j = nlohmann::json::parse(body, nullptr, false);
    REQUIRE_FALSE(j.is_discarded());
    for (const auto& m : j.at("messages"))
      if (m.at("role") == "user")
        out.push_back(m.at("content").get<std::string>());
  }
  return out;
}

}  // namespace

TEST_CASE("a simulated model's campaign writes memory in words that a campaign on other tasks retrieves",
          "[runtime][llm]") {
  test::temp_dir dir{"llm-memory"};
  auto store_path = dir.path() / "store";

  // The first campaign: a reduction and a softmax task.
  auto first = mock::server::start(load(first_tasks), simulated_model(7));
  REQUIRE(first);
  std::string output;
  REQUIRE(test::run_to_end({KFORGE_BINARY, "run", write_config(dir, "words-a", (*first)->port(), first_tasks),
                            "--no-progress"},
                           output) == 0);
  INFO(output);
  auto after_first = read_memory(store_path);
  REQUIRE_FALSE(after_first.empty());
  int64_t seeds = 0;
  int64_t steps = 0;
  int64_t insights = 0;
  for (const auto& [id, item] : after_first) {
    INFO(item.kind << ": " << item.text);
    CHECK(memory::is_in_words(item));
    // In words: no knob settings, and what kforge measured.
    CHECK(item.text.find('=') == std::string::npos);
    if (item.kind == "seed") {
      ++seeds;
      CHECK(item.text.find("passed every gate") != std::string::npos);
      CHECK(item.text.find("x the reference") != std::string::npos);
      CHECK(item.text.find(" ms") != std::string::npos);
    } else if (item.kind == "trajectory") {
      ++steps;
      bool timed = item.text.find("over the parent") != std::string::npos;
      bool failed = item.text.find("failed the ") != std::string::npos;
      CHECK(timed != failed);
      CHECK(item.text.find("the parent") != std::string::npos);
    } else if (item.kind == "insight") {
      ++insights;
      CHECK(item.text.find("mean over the") != std::string::npos);
    }
  }
  CHECK(seeds >= 2);  // a feasible draft on each task
  CHECK(steps >= 2);
  CHECK(insights >= 1);  // the simulated model names its techniques: they repeat
  // The model's statements reached the items: corpus summaries are quoted in them.
  CHECK(std::any_of(after_first.begin(), after_first.end(),
                    [](const auto& kv) { return kv.second.text.find("\"") != std::string::npos; }));
  // Values moved: items retrieved by later steps were updated with the candidates' rewards.
  CHECK(std::any_of(after_first.begin(), after_first.end(),
                    [](const auto& kv) { return kv.second.visits1 + kv.second.visits2 >= 2; }));

  // The second campaign, on other tasks of the same families, shares the store.
  auto second = mock::server::start(load(second_tasks), simulated_model(8));
  REQUIRE(second);
  REQUIRE(test::run_to_end({KFORGE_BINARY, "run",
                            write_config(dir, "words-b", (*second)->port(), second_tasks), "--no-progress"},
                           output) == 0);
  auto view = test::read_campaign(store_path, "words-b");
  REQUIRE(view.tasks.size() == 2);
  std::set<std::string> retrieved;
  for (const auto& [hash, c] : view.candidates)
    for (const auto& id : c.context_ids)
      if (after_first.count(id) > 0)
        retrieved.insert(id);
  INFO("items of the first campaign in the second's contexts: " << retrieved.size());
  REQUIRE_FALSE(retrieved.empty());

  // Its prompts carry those items' texts (as they stood when the first campaign ended; a step's
  // item is never rewritten, a seed may be refreshed by the second campaign's drafts).
  auto prompts = user_prompts(**second);
  REQUIRE_FALSE(prompts.empty());
  int64_t quoted = 0;
  for (const auto& id : retrieved) {
    const auto& text = after_first.at(id).text;
    quoted += std::any_of(prompts.begin(), prompts.end(),
                          [&](const std::string& p) { return p.find(text) != std::string::npos; })
                  ? 1
                  : 0;
  }
  CHECK(quoted >= 1);
  for (const auto& p : prompts) {
    CHECK(p.find("Optimization: <one line") != std::string::npos);
    CHECK(p.find("The reference implementation takes") != std::string::npos);
  }

  // The second campaign's rewards moved the values of the first campaign's items it used.
  auto after_second = read_memory(store_path);
  int64_t moved = 0;
  for (const auto& id : retrieved) {
    const auto& before = after_first.at(id);
    const auto& now = after_second.at(id);
    if (now.visits1 + now.visits2 > before.visits1 + before.visits2 &&
        (now.q1 != before.q1 || now.q2 != before.q2))
      ++moved;
  }
  CHECK(moved >= 1);
}
