// End to end through the openai backend: a whole campaign (the kforge binary
// in a child process) against the in-process mock server with fault
// injection on. Every fault must cost only time: no candidate lost, budgets
// respected, retries visible in the store. The last case runs one against the
// mock as a simulated model (kernel corpus) and checks its kernels verify.

#include "hardware/tasks/task_loader.hpp"
#include "memory/store.hpp"
#include "runtime/cli/training_export.hpp"
#include "tests/support/campaign_view.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tools/mock-llm/mock_llm.hpp"

#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

using namespace kforge;

namespace {

constexpr int llm_per_task = 6;

kforge::task_map suite_tasks() {
  auto loaded = hardware::load_tasks(std::filesystem::path{KFORGE_SOURCE_DIR} / "configs/tasks/cpu",
                                     {"row_sum_256x2048.toml"});
  REQUIRE(loaded);
  kforge::task_map tasks;
  for (auto& t : *loaded) {
    auto id = t.id;
    tasks.emplace(std::move(id), std::move(t));
  }
  return tasks;
}

std::string write_config(const test::temp_dir& dir, uint16_t port, int64_t token_budget, int max_attempts = 8,
                         int per_step = 2) {
  auto path = dir.path() / "campaign.toml";
  std::ofstream out{path};
  out << "[campaign]\nname = \"llm\"\nseed = 3\n"
      << "tasks = [\"" << KFORGE_SOURCE_DIR << "/configs/tasks/cpu/row_sum_256x2048.toml\"]\n"
      << "[budget]\nevaluations_per_task = " << llm_per_task << "\nplateau = 0\n"
      << "[policy]\nkind = \"openai\"\ncandidates_per_step = " << per_step << "\n"
      << "[llm]\nprompts = \"" << KFORGE_SOURCE_DIR << "/configs/prompts\"\n"
      << "max_attempts = " << max_attempts
      << "\nbackoff_ms = 1\nmax_backoff_ms = 20\ntoken_budget = " << token_budget << "\n"
      << "[[llm.endpoint]]\nname = \"mock\"\nbase_url = \"http://127.0.0.1:" << port << "/v1\"\n"
      << "model = \"mock-coder\"\nmax_tokens = 800\ntimeout_s = 1\nmax_concurrent = 2\n"
      << "requests_per_minute = 6000\nprice_in = 0.5\nprice_out = 1.5\n"
      << "[verifier]\nmin_runs = 3\nmax_runs = 10\ntarget_ms = 5\nwarmup = 1\ncompile_jobs = 1\nseeds = "
         "2\nfinal_rounds = 0\n"
      << "[store]\npath = \"store\"\n";
  return path.string();
}

}  // namespace

TEST_CASE("a campaign through the openai backend survives every injected fault", "[runtime][llm]") {
  mock::server_config mcfg;
  // Each fault once, in this order, then clean answers: the check below is exact.
  mcfg.faults.script = {mock::fault::too_many, mock::fault::server_error, mock::fault::drop,
                        mock::fault::truncate, mock::fault::malformed,    mock::fault::empty,
                        mock::fault::slow,     mock::fault::no_kernel};
  mcfg.faults.retry_after_s = 0.02;
  mcfg.faults.slow_ms = 2500;  // past the endpoint's 1 s timeout
  auto srv = mock::server::start(suite_tasks(), mcfg);
  REQUIRE(srv);
  test::temp_dir dir{"llm-campaign"};
  auto config = write_config(dir, (*srv)->port(), 200000);
  std::string output;
  REQUIRE(test::run_to_end({KFORGE_BINARY, "run", config, "--no-progress"}, output) == 0);
  INFO(output);

  auto store = memory::store::open(dir.path() / "store");
  REQUIRE(store);
  auto tx = store->read();
  REQUIRE(tx);
  auto campaign = memory::get_campaign(*tx, "llm");
  REQUIRE(campaign);
  CHECK(campaign->status == "finished");
  auto tasks = memory::list_tasks(*tx, "llm");
  REQUIRE(tasks);
  REQUIRE(tasks->size() == 1);
  // No candidate lost: the task spent its whole evaluation budget.
  CHECK(tasks->front().evaluations == llm_per_task);
  CHECK(tasks->front().stop_reason == "budget");
  auto candidates = memory::list_candidates(*tx, "llm", tasks->front().task_id);
  REQUIRE(candidates);
  CHECK(candidates->size() == llm_per_task);
  int parse_verdicts = 0;
  int verified = 0;
  for (const auto& c : *candidates) {
    CHECK(c.policy == "openai");
    if (c.verdict.failed_gate == "parse")
      ++parse_verdicts;
    else
      ++verified;
  }
  // The no_kernel answer: two identical completions without a kernel, one candidate.
  CHECK(parse_verdicts == 1);
  CHECK(verified == llm_per_task - 1);

  // Retries are visible in the store: every failed attempt is on record, and every call ended ok.
  auto calls = memory::list_llm_calls(*tx, "llm");
  REQUIRE(calls);
  std::vector<std::string> errors;
  int64_t tokens = 0;
  double cost = 0;
  for (const auto& call : *calls) {
    CHECK(call.outcome == "ok");
    CHECK(call.endpoint == "mock");
    CHECK(call.attempts == static_cast<int32_t>(call.errors.size()) + 1);
    for (const auto& e : call.errors)
      errors.push_back(e);
    tokens += call.tokens_in + call.tokens_out;
    cost += call.cost;
  }
  // Each fault shows once; a loaded machine may add timeouts of its own, which are retried too.
  INFO("errors: " << errors.size());
  CHECK(errors.size() >= 7);
  auto count = [&](const std::string& prefix) {
    return std::count_if(errors.begin(), errors.end(),
                         [&](const std::string& e) { return e.rfind(prefix, 0) == 0; });
  };
  CHECK(count("mock: http 429") == 1);
  CHECK(count("mock: http 500") == 1);
  CHECK(count("mock: malformed json") == 1);
  CHECK(count("mock: no choices") == 1);
  // The dropped connection, the truncated body and the timed-out slow answer fail while reading.
  CHECK(count("mock: transport: read") >= 3);
  std::string all;
  for (const auto& e : errors)
    all += e + "\n";
  INFO(all);
  CHECK(all.find("timeout") != std::string::npos);
  CHECK(tokens > 0);
  CHECK(tokens <= 200000);
  CHECK(cost > 0);
  // Every request the mock saw is on record: a call's last attempt, or one of its failed ones.
  CHECK((*srv)->stats().requests == static_cast<int64_t>(calls->size() + errors.size()));

  std::string status;
  REQUIRE(test::run_to_end({KFORGE_BINARY, "status", "--store", (dir.path() / "store").string()}, status) ==
          0);
  CHECK(status.find("llm: " + std::to_string(calls->size()) + " calls (0 failed), " +
                    std::to_string(errors.size()) + " retries") != std::string::npos);
}

TEST_CASE("a campaign stops asking once its LLM token budget is spent, and says so", "[runtime][llm]") {
  auto srv = mock::server::start(suite_tasks(), {});
  REQUIRE(srv);
  test::temp_dir dir{"llm-budget"};
  // Room for one call: each reserves its prompt plus 2 x 800 completion tokens, and uses less.
  constexpr int64_t budget = 3000;
  auto config = write_config(dir, (*srv)->port(), budget);
  std::string output;
  REQUIRE(test::run_to_end({KFORGE_BINARY, "run", config, "--no-progress"}, output) == 0);
  INFO(output);
  CHECK(output.find("LLM budget spent") != std::string::npos);

  auto store = memory::store::open(dir.path() / "store");
  REQUIRE(store);
  auto tx = store->read();
  REQUIRE(tx);
  auto tasks = memory::list_tasks(*tx, "llm");
  REQUIRE(tasks);
  REQUIRE(tasks->size() == 1);
  CHECK(tasks->front().stop_reason == "LLM budget spent");
  CHECK(tasks->front().evaluations < llm_per_task);
  CHECK(tasks->front().evaluations > 0);
  auto calls = memory::list_llm_calls(*tx, "llm");
  REQUIRE(calls);
  int64_t tokens = 0;
  for (const auto& call : *calls)
    tokens += call.tokens_in + call.tokens_out;
  CHECK(tokens > 0);
  CHECK(tokens <= budget);

  std::string status;
  REQUIRE(test::run_to_end({KFORGE_BINARY, "status", "--store", (dir.path() / "store").string()}, status) ==
          0);
  CHECK(status.find("LLM budget spent") != std::string::npos);
}

TEST_CASE("a task asks again when a call fails for good, and loses nothing", "[runtime][llm]") {
  mock::server_config mcfg;
  // Three 500s: the first call spends its two attempts, the task waits and asks again, one more
  // 500, then ok.
  mcfg.faults.script = {mock::fault::server_error, mock::fault::server_error, mock::fault::server_error};
  auto srv = mock::server::start(suite_tasks(), mcfg);
  REQUIRE(srv);
  test::temp_dir dir{"llm-reask"};
  auto config = write_config(dir, (*srv)->port(), 200000, 2);
  std::string output;
  REQUIRE(test::run_to_end({KFORGE_BINARY, "run", config, "--no-progress"}, output) == 0);
  INFO(output);
  auto store = memory::store::open(dir.path() / "store");
  REQUIRE(store);
  auto tx = store->read();
  REQUIRE(tx);
  auto tasks = memory::list_tasks(*tx, "llm");
  REQUIRE(tasks);
  REQUIRE(tasks->size() == 1);
  CHECK(tasks->front().evaluations == llm_per_task);
  CHECK(tasks->front().stop_reason == "budget");
  auto calls = memory::list_llm_calls(*tx, "llm");
  REQUIRE(calls);
  int failed = 0;
  int retried_500 = 0;
  for (const auto& call : *calls) {
    if (call.outcome != "ok") {
      ++failed;
      CHECK(call.attempts == 2);
      // A 5xx is an outage: the task waits for the model rather than counting a failure.
      CHECK(call.outcome.find("llm_unreachable") != std::string::npos);
    } else {
      for (const auto& e : call.errors)
        retried_500 += e == "mock: http 500: The server had an error while processing your request" ? 1 : 0;
    }
  }
  CHECK(failed == 1);       // on record, not overwritten by the re-ask's success
  CHECK(retried_500 == 1);  // the re-ask: one more 500, then ok
}

TEST_CASE("a campaign killed mid-step replays its recorded LLM answer instead of paying again",
          "[runtime][llm]") {
  auto srv = mock::server::start(suite_tasks(), {});
  REQUIRE(srv);
  test::temp_dir dir{"llm-resume"};
  // Three candidates per call, compiled one at a time: when the first has compiled, the call is on
  // record (replies follow the record) and no candidate of the step is committed yet (its timed
  // runs come first). Killed at its verdict instead, the first candidate's commit could land
  // first (the curator commits within a millisecond), its task record a step further on, and
  // the resumed task then asked the model for the next step.
  auto config = write_config(dir, (*srv)->port(), 200000, 8, 3);
  {
    test::child_process child{{KFORGE_BINARY, "--log-level", "debug", "run", config, "--no-progress"}};
    bool seen = false;
    while (auto line = child.read_line())
      if (line->find("stage done") != std::string::npos &&
          line->find("candidate compile") != std::string::npos) {
        seen = true;
        break;
      }
    REQUIRE(seen);
    child.kill(SIGKILL);
    CHECK(child.wait() == 128 + SIGKILL);
  }
  auto paid_before = (*srv)->stats().requests;
  std::string output;
  REQUIRE(test::run_to_end({KFORGE_BINARY, "run", config, "--no-progress"}, output) == 0);
  INFO(output);

  auto store = memory::store::open(dir.path() / "store");
  REQUIRE(store);
  auto tx = store->read();
  REQUIRE(tx);
  auto tasks = memory::list_tasks(*tx, "llm");
  REQUIRE(tasks);
  REQUIRE(tasks->size() == 1);
  CHECK(tasks->front().evaluations == llm_per_task);
  auto candidates = memory::list_candidates(*tx, "llm", tasks->front().task_id);
  REQUIRE(candidates);
  CHECK(candidates->size() == llm_per_task);
  int replayed = 0;
  for (const auto& c : *candidates)
    replayed += c.model == "mock-coder (cached)" ? 1 : 0;
  CHECK(replayed >= 1);  // the interrupted step's other kernels came from the store
  // Every request the mock saw is an attempt on record: nothing was paid twice.
  auto calls = memory::list_llm_calls(*tx, "llm");
  REQUIRE(calls);
  int64_t attempts = 0;
  for (const auto& call : *calls)
    attempts += call.attempts;
  CHECK((*srv)->stats().requests == attempts);
  CHECK(paid_before >= 1);
}

TEST_CASE("a campaign against the simulated model verifies the corpus kernels it is sent", "[runtime][llm]") {
  mock::server_config mcfg;
  mcfg.faults.seed = 4;
  mcfg.corpus.dir = mock::default_corpus_dir();
  // Only right variants, so every candidate the model sends must pass the gates.
  mcfg.corpus.mistake_rate = 0;
  mcfg.completion_tokens = 600;  // within the endpoint's max_tokens, whatever the variant's length
  auto srv = mock::server::start(suite_tasks(), mcfg);
  REQUIRE(srv);
  test::temp_dir dir{"llm-corpus"};
  auto config = write_config(dir, (*srv)->port(), 200000);
  std::string output;
  REQUIRE(test::run_to_end({KFORGE_BINARY, "run", config, "--no-progress"}, output) == 0);
  INFO(output);

  auto corpus = mock::load_corpus(mock::default_corpus_dir(), mock::default_techniques_file());
  REQUIRE(corpus);
  const auto& variants = corpus->families.at("reduction");
  auto view = test::read_campaign(dir.path() / "store", "llm");
  REQUIRE(view.tasks.size() == 1);
  REQUIRE_FALSE(view.candidates.empty());
  for (const auto& [hash, c] : view.candidates) {
    INFO(c.verdict.failed_gate);
    CHECK(c.verdict.feasible);
    // Each is a corpus variant as sent, header removed.
    CHECK(std::any_of(variants.begin(), variants.end(), [&](const mock::corpus_variant& v) {
      return v.source == c.source || v.source == c.source + "\n";
    }));
  }

  // Every candidate links to its call on record: the prompt that asked for the task and the
  // completion that holds the candidate's source.
  {
    auto store = memory::store::open(dir.path() / "store");
    REQUIRE(store);
    auto tx = store->read();
    REQUIRE(tx);
    for (const auto& [hash, c] : view.candidates) {
      INFO("candidate " << hash << " call " << c.call_id);
      REQUIRE_FALSE(c.call_id.empty());
      auto call = memory::get_llm_call(*tx, c.call_id);
      REQUIRE(call);
      REQUIRE_FALSE(memory::load_prompt(*tx, *call));
      CHECK(call->stage == c.stage);
      CHECK_FALSE(call->system_prompt.empty());
      CHECK(call->user_prompt.find("Task id: " + c.task_id) != std::string::npos);
      auto completions = runtime::completions_of(*call);
      CHECK(runtime::completion_index(completions, c.source) >= 0);
    }
    // The campaign's calls share one system prompt, stored once.
    auto calls = memory::list_llm_calls(*tx, "llm");
    REQUIRE(calls);
    REQUIRE(calls->size() >= 2);
    std::set<std::string> systems;
    for (const auto& call : *calls)
      systems.insert(call.system_text);
    CHECK(systems.size() == 1);
    CHECK(tx->entries(memory::table::texts).value() < 2 * calls->size());
  }

  // The same link through the CLI: show, llm calls, export --format calls and steps.
  const auto store_dir = (dir.path() / "store").string();
  const auto& some = view.candidates.begin()->second;
  std::string shown;
  REQUIRE(test::run_to_end({KFORGE_BINARY, "show", some.hash.substr(0, 10), "--store", store_dir}, shown) ==
          0);
  CHECK(shown.find(some.hash) != std::string::npos);
  CHECK(shown.find("----- user prompt -----") != std::string::npos);
  CHECK(shown.find("Task id: " + some.task_id) != std::string::npos);
  CHECK(shown.find(some.source.substr(0, some.source.find('\n'))) != std::string::npos);
  std::string shown_json;
  REQUIRE(test::run_to_end({KFORGE_BINARY, "show", some.hash, "--store", store_dir, "--json"}, shown_json) ==
          0);
  auto j = nlohmann::json::parse(shown_json.substr(shown_json.find('{')));
  CHECK(j["candidate"]["hash"] == some.hash);
  CHECK(j["call"]["request_hash"] == some.call_id);
  CHECK(j["completion"].get<std::string>().find(some.source.substr(0, 40)) != std::string::npos);
  std::string missing;
  CHECK(test::run_to_end({KFORGE_BINARY, "show", "zzzz", "--store", store_dir}, missing) == 2);
  CHECK(missing.find("no candidate hash starts with 'zzzz'") != std::string::npos);
  std::string ambiguous;
  CHECK(test::run_to_end({KFORGE_BINARY, "show", "", "--store", store_dir}, ambiguous) == 2);

  std::string rows;
  REQUIRE(test::run_to_end({KFORGE_BINARY, "llm", "calls", "--store", store_dir, "--limit", "0"}, rows) == 0);
  CHECK(rows.find(some.call_id.substr(0, 12)) != std::string::npos);
  CHECK(rows.find("mock-coder") != std::string::npos);

  // One call by its short id: the prompt, every completion, and the candidates it gave.
  std::string one_call;
  REQUIRE(test::run_to_end({KFORGE_BINARY, "llm", "show", some.call_id.substr(0, 12), "--store", store_dir},
                           one_call) == 0);
  CHECK(one_call.find("----- user prompt -----") != std::string::npos);
  CHECK(one_call.find("Task id: " + some.task_id) != std::string::npos);
  CHECK(one_call.find("----- completion 1 of ") != std::string::npos);
  CHECK(one_call.find(some.hash.substr(0, 12)) != std::string::npos);
  std::string call_json;
  REQUIRE(test::run_to_end({KFORGE_BINARY, "llm", "show", some.call_id, "--store", store_dir, "--json"},
                           call_json) == 0);
  auto cj = nlohmann::json::parse(call_json.substr(call_json.find('{')));
  CHECK(cj["request_hash"] == some.call_id);
  CHECK(std::any_of(cj["candidates"].begin(), cj["candidates"].end(),
                    [&](const nlohmann::json& c) { return c["hash"] == some.hash; }));
  // A call id given to `show` gets pointed at `llm show`.
  std::string hint;
  CHECK(test::run_to_end({KFORGE_BINARY, "show", some.call_id.substr(0, 12), "--store", store_dir}, hint) ==
        2);
  CHECK(hint.find("is an LLM call: kforge llm show") != std::string::npos);
  std::string no_call;
  CHECK(test::run_to_end({KFORGE_BINARY, "llm", "show", "zzzz", "--store", store_dir}, no_call) == 2);
  CHECK(no_call.find("no LLM call id starts with 'zzzz'") != std::string::npos);

  const auto calls_file = (dir.path() / "calls.jsonl").string();
  REQUIRE(test::run_to_end(
              {KFORGE_BINARY, "export", "--store", store_dir, "--format", "calls", "--out", calls_file},
              rows) == 0);
  std::ifstream calls_in{calls_file};
  std::string line;
  bool found = false;
  while (std::getline(calls_in, line)) {
    auto call = nlohmann::json::parse(line);
    CHECK_FALSE(call["user_prompt"].get<std::string>().empty());
    if (call["request_hash"] == some.call_id)
      found = call["completions"].dump().find("row_sum") != std::string::npos;
  }
  CHECK(found);
  std::string steps;
  const auto steps_file = (dir.path() / "steps.jsonl").string();
  REQUIRE(test::run_to_end(
              {KFORGE_BINARY, "export", "--store", store_dir, "--format", "steps", "--out", steps_file},
              steps) == 0);
  // Every refine child with its parent: one line each, with the prompt and completion of its call.
  const auto refined = std::count_if(view.candidates.begin(), view.candidates.end(),
                                     [](const auto& entry) { return !entry.second.parents.empty(); });
  std::ifstream steps_in{steps_file};
  int64_t step_lines = 0;
  while (std::getline(steps_in, line)) {
    auto step = nlohmann::json::parse(line);
    ++step_lines;
    const auto& child = view.candidates.at(step["child"]["hash"].get<std::string>());
    CHECK(step["parent"]["hash"] == child.parents.front());
    CHECK(step["parent"]["source"] == view.candidates.at(child.parents.front()).source);
    CHECK(step["call_id"] == child.call_id);
    CHECK(step["user_prompt"].get<std::string>().find("Task id: ") != std::string::npos);
    CHECK(step["completion"].get<std::string>().find(child.source.substr(0, 40)) != std::string::npos);
    if (child.verdict.is_timed() && view.candidates.at(child.parents.front()).verdict.is_timed())
      CHECK(step["gain"].get<double>() > 0);
    else
      CHECK(step["gain"].is_null());
  }
  CHECK(refined >= 1);
  CHECK(step_lines == refined);
  std::string bad;
  CHECK(test::run_to_end({KFORGE_BINARY, "export", "--store", store_dir, "--format", "pairs"}, bad) == 2);
}

namespace {

// Technique entries of the store (optimization items tagged "technique") by id: samples.
std::map<std::string, int64_t> technique_samples(const std::filesystem::path& store_path) {
  auto store = memory::store::open(store_path);
  REQUIRE(store);
  auto tx = store->read();
  REQUIRE(tx);
  auto items = memory::list_memory(*tx);
  REQUIRE(items);
  std::map<std::string, int64_t> out;
  for (const auto& item : *items)
    if (item.kind == "optimization" &&
        std::find(item.tags.begin(), item.tags.end(), "technique") != item.tags.end())
      out[item.id] = item.samples;
  return out;
}

int64_t total(const std::map<std::string, int64_t>& samples) {
  int64_t n = 0;
  for (const auto& [id, s] : samples)
    n += s;
  return n;
}

}  // namespace

TEST_CASE("refine prompts ask the simulated model for a catalogue technique and the knowledge base learns",
          "[runtime][llm][technique]") {
  mock::server_config mcfg;
  mcfg.faults.seed = 5;
  mcfg.corpus.dir = mock::default_corpus_dir();
  mcfg.completion_tokens = 600;
  auto srv = mock::server::start(suite_tasks(), mcfg);
  REQUIRE(srv);
  test::temp_dir dir{"llm-technique"};
  auto first = write_config(dir, (*srv)->port(), 400000);
  std::string text;
  {
    std::ifstream in{first};
    std::stringstream buf;
    buf << in.rdbuf();
    text = buf.str();
  }
  auto replace = [](std::string s, const std::string& from, const std::string& to) {
    auto at = s.find(from);
    REQUIRE(at != std::string::npos);
    return s.replace(at, from.size(), to);
  };
  text = replace(text, "evaluations_per_task = 6", "evaluations_per_task = 12");
  { std::ofstream{first} << text; }
  std::string output;
  REQUIRE(test::run_to_end({KFORGE_BINARY, "run", first, "--no-progress"}, output) == 0);
  INFO(output);

  auto catalogue = mock::load_corpus(mock::default_corpus_dir(), mock::default_techniques_file());
  REQUIRE(catalogue);
  auto is_catalogue_id = [&](const std::string& id) {
    return std::any_of(catalogue->techniques.begin(), catalogue->techniques.end(),
                       [&](const mock::technique_name& t) { return t.id == id; });
  };
  auto view = test::read_campaign(dir.path() / "store", "llm");
  int64_t refine_named = 0;
  for (const auto& [hash, c] : view.candidates) {
    if (c.stage != "refine" || c.technique.empty() || c.verdict.failed_gate == kforge::gate_parse)
      continue;
    ++refine_named;
    // Stored as catalogue ids (the corpus is tagged with them), comma-separated.
    std::stringstream ids{c.technique};
    for (std::string id; std::getline(ids, id, ',');)
      CHECK(is_catalogue_id(id.substr(id.find_first_not_of(' '))));
  }
  int64_t refine_calls = 0;
  {
    auto store = memory::store::open(dir.path() / "store");
    REQUIRE(store);
    auto tx = store->read();
    REQUIRE(tx);
    auto calls = memory::list_llm_calls(*tx, "llm");
    REQUIRE(calls);
    for (const auto& call : *calls)
      refine_calls += call.stage == "refine" ? 1 : 0;
  }
  REQUIRE(refine_calls > 0);
  auto stats = (*srv)->stats();
  // Every refine prompt named a catalogue technique in its request (the mock reads only that part).
  CHECK(stats.technique_requests >= refine_calls);
  CHECK_FALSE(stats.requested_techniques.empty());
  REQUIRE(refine_named > 0);
  auto after_first = technique_samples(dir.path() / "store");
  REQUIRE_FALSE(after_first.empty());
  // Each verified refine candidate that named techniques fed at least one entry.
  CHECK(total(after_first) >= refine_named);

  // A second campaign on the same store adds its evidence to the same entries.
  auto second = (dir.path() / "second.toml").string();
  { std::ofstream{second} << replace(text, "name = \"llm\"", "name = \"llm2\""); }
  REQUIRE(test::run_to_end({KFORGE_BINARY, "run", second, "--no-progress"}, output) == 0);
  auto after_second = technique_samples(dir.path() / "store");
  CHECK(total(after_second) > total(after_first));
  int64_t grown = 0;
  for (const auto& [id, n] : after_first) {
    REQUIRE(after_second.count(id) == 1);
    CHECK(after_second[id] >= n);
    grown += after_second[id] > n ? 1 : 0;
  }
  CHECK(grown >= 1);  // evidence accumulated on an entry the first campaign made
}
