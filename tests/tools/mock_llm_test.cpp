// The mock LLM as a simulated model (tools/mock-llm): which task a prompt is for, the corpus
// and its header, the seeded choice of variants (technique preference, mistake rate) and
// replies that kforge's response parser accepts; replayed answers of real kernels. No sockets: answer() is a
// pure function.

#include "tools/mock-llm/mock_llm.hpp"
#include "actors/llm_proxy/prompt_builder.hpp"
#include "actors/llm_proxy/response_parser.hpp"
#include "hardware/kernelbench/problem.hpp"
#include "hardware/tasks/task_loader.hpp"
#include "runtime/base/error.hpp"
#include "tests/support/task_files.hpp"
#include "tests/support/temp_dir.hpp"
#include "tools/mock-llm/kernel_corpus.hpp"
#include "tools/mock-llm/replay.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>

using namespace kforge;

namespace {

kforge::task_map cpu_tasks() {
  auto loaded = hardware::load_tasks(test::source_dir / "configs/tasks/cpu", {"*.toml"});
  REQUIRE(loaded);
  kforge::task_map tasks;
  for (auto& t : *loaded) {
    auto id = t.id;
    tasks.emplace(std::move(id), std::move(t));
  }
  return tasks;
}

const mock::kernel_corpus& corpus() {
  static const auto loaded = [] {
    auto c = mock::load_corpus(mock::default_corpus_dir(), mock::default_techniques_file());
    REQUIRE(c);
    return *c;
  }();
  return loaded;
}

// A prompt for `task` built by kforge's own templates, with memory lines naming `others`.
actors::prompt build_prompt(const kforge::task_def& task, const std::string& stage,
                            const std::vector<std::string>& memory_lines) {
  auto builder = actors::prompt_builder::load(test::source_dir / "configs/prompts");
  REQUIRE(builder);
  actors::policy_request req;
  req.task_id = task.id;
  req.stage = stage;
  for (const auto& line : memory_lines) {
    memory::memory_item item;
    item.kind = "optimization";
    item.text = line;
    req.context.push_back(item);
  }
  if (stage == "refine")
    req.parent = {{"h", "void row_sum(const float* x, float* y, int rows, int cols) {}", {}, 2500, "memory"}};
  return builder->build(task, req);
}

std::string request_body(const actors::prompt& p) {
  return nlohmann::json{
      {"model", "mock"},
      {"messages", {{{"role", "system"}, {"content", p.system}}, {{"role", "user"}, {"content", p.user}}}}}
      .dump();
}

std::string first_reply(const mock::mock_answer& a) {
  auto body = nlohmann::json::parse(a.body);
  return body["choices"][0]["message"]["content"].get<std::string>();
}

bool uses(const mock::corpus_variant& v, const std::string& technique) {
  return std::find(v.techniques.begin(), v.techniques.end(), technique) != v.techniques.end();
}

}  // namespace

TEST_CASE("the mock answers for the task a prompt states, not a longer id in its memory", "[tools]") {
  auto tasks = cpu_tasks();
  const auto& task = tasks.at("row_sum_256x2048");
  // Both memory lines name task ids longer than row_sum_256x2048; the old longest-match rule
  // answered for the softmax task.
  auto p =
      build_prompt(task, "draft",
                   {"softmax_rows_128x2048: four accumulators gave 3.1x", "seen on layernorm_300x1000 too"});
  REQUIRE(p.user.find("softmax_rows_128x2048") != std::string::npos);
  CHECK(mock::task_for_prompt(tasks, p.system + "\n" + p.user) == &task);
  std::mt19937_64 rng{7};
  auto a = mock::answer(tasks, {}, request_body(p), mock::fault::none, rng);
  REQUIRE(a.status == 200);
  auto parsed = actors::parse_kernel(first_reply(a), "row_sum");
  CHECK(parsed.usable);

  SECTION("without a Task id line the first id wins, whole words only") {
    CHECK(mock::task_for_prompt(tasks,
                                "Optimize gemv_1024x1024, unlike gemm_100x240x72_big or softmax_rows_64x1200")
              ->id == "gemv_1024x1024");
    CHECK(mock::task_for_prompt(tasks, "see xgemm_100x240x72 and then gemm_128x128x64")->id ==
          "gemm_128x128x64");
    CHECK(mock::task_for_prompt(tasks, "Make transpose_512x512. Then row_sum_256x2048.")->id ==
          "transpose_512x512");
    CHECK(mock::task_for_prompt(tasks, "no task here") == nullptr);
  }
  SECTION("a stated id that names no known task falls back to the first known id") {
    CHECK(mock::task_for_prompt(tasks, "Task: unknown_1\nrow_sum_1000x600 please")->id == "row_sum_1000x600");
    CHECK(mock::task_for_prompt(tasks, "memory: gemm_100x240x72\n**Task:** `row_sum_1000x600`.")->id ==
          "row_sum_1000x600");
  }
}

TEST_CASE("the corpus loads with its headers and never keeps the expect tag", "[tools]") {
  const auto& c = corpus();
  // Every CPU task family of configs/tasks/cpu has variants.
  for (const char* family :
       {"gemm", "layernorm", "reduction", "softmax", "gemv", "transpose", "elementwise", "conv2d", "scan"}) {
    REQUIRE(c.families.count(family) == 1);
    CHECK(c.families.at(family).size() >= 7);
  }
  const auto& reduction = c.families.at("reduction");
  auto base = std::find_if(reduction.begin(), reduction.end(),
                           [](const mock::corpus_variant& v) { return v.name == "reduction/baseline"; });
  REQUIRE(base != reduction.end());
  CHECK(base->techniques.empty());
  CHECK(base->mistake == "none");
  CHECK(base->source.find("// expect:") == std::string::npos);
  CHECK(base->source.find("void row_sum(") != std::string::npos);
  CHECK(std::any_of(c.techniques.begin(), c.techniques.end(),
                    [](const mock::technique_name& t) { return t.id == "software_prefetch"; }));

  auto bad = mock::parse_variant("// variant: x/y\n// expect: correct\n", "x/y.cpp");
  REQUIRE_FALSE(bad);
  CHECK(describe(bad.error()).find("x/y.cpp:2") != std::string::npos);
}

TEST_CASE("the request section excludes memory, feedback and code", "[tools]") {
  auto tasks = cpu_tasks();
  const auto& task = tasks.at("row_sum_256x2048");
  auto p = build_prompt(task, "refine", {"software prefetch helped gemv by 1.4x"});
  auto request = mock::request_section(p.user);
  CHECK(request.find("Improve this kernel") != std::string::npos);
  CHECK(mock::requested_techniques(request, corpus().techniques).empty());

  auto asked = mock::request_section(p.user + "Apply this technique: Software prefetch.\n");
  CHECK(mock::requested_techniques(asked, corpus().techniques) ==
        std::vector<std::string>{"software_prefetch"});
  CHECK(mock::requested_techniques("use multiple_accumulators and Cache blocking", corpus().techniques) ==
        std::vector<std::string>{"multiple_accumulators", "cache_blocking"});
}

TEST_CASE("the variant choice is reproducible for a seed", "[tools]") {
  const auto& variants = corpus().families.at("softmax");
  mock::corpus_config cfg;
  auto draw = [&](uint64_t seed) {
    std::mt19937_64 rng{seed};
    std::vector<std::string> names;
    names.reserve(40);
    for (int i = 0; i < 40; ++i)
      names.push_back(mock::choose_variant(variants, {"fused_passes"}, cfg, rng).name);
    return names;
  };
  CHECK(draw(11) == draw(11));
  CHECK(draw(11) != draw(12));
}

TEST_CASE("a requested technique is chosen more often than chance", "[tools]") {
  const auto& variants = corpus().families.at("reduction");
  mock::corpus_config cfg;
  cfg.mistake_rate = 0;
  // One of the six right reduction variants prefetches: chance is 1/6, weight 4 makes it 4/9.
  auto right = std::count_if(variants.begin(), variants.end(),
                             [](const mock::corpus_variant& v) { return v.mistake == "none"; });
  auto prefetching = std::count_if(variants.begin(), variants.end(), [](const mock::corpus_variant& v) {
    return v.mistake == "none" && uses(v, "software_prefetch");
  });
  REQUIRE(prefetching >= 1);
  double chance = static_cast<double>(prefetching) / static_cast<double>(right);
  std::mt19937_64 rng{2026};
  constexpr int draws = 3000;
  int asked = 0;
  int not_asked = 0;
  for (int i = 0; i < draws; ++i) {
    asked +=
        uses(mock::choose_variant(variants, {"software_prefetch"}, cfg, rng), "software_prefetch") ? 1 : 0;
    not_asked += uses(mock::choose_variant(variants, {}, cfg, rng), "software_prefetch") ? 1 : 0;
  }
  double share = static_cast<double>(asked) / draws;
  double share_unasked = static_cast<double>(not_asked) / draws;
  CHECK(share > chance + 0.15);
  CHECK(share_unasked == Approx(chance).margin(0.04));
}

TEST_CASE("the mistake rate is honoured over many draws", "[tools]") {
  const auto& variants = corpus().families.at("gemm");
  for (double rate : {0.0, 0.25, 0.6}) {
    mock::corpus_config cfg;
    cfg.mistake_rate = rate;
    std::mt19937_64 rng{99};
    constexpr int draws = 4000;
    int mistaken = 0;
    for (int i = 0; i < draws; ++i)
      mistaken += mock::choose_variant(variants, {"register_blocking"}, cfg, rng).mistake != "none" ? 1 : 0;
    CHECK(static_cast<double>(mistaken) / draws == Approx(rate).margin(0.03));
  }
}

TEST_CASE("corpus answers parse with kforge's response parser", "[tools]") {
  auto tasks = cpu_tasks();
  mock::server_config cfg;
  cfg.corpus.dir = mock::default_corpus_dir();
  cfg.corpus.mistake_rate = 0.3;
  std::mt19937_64 rng{5};
  for (const char* id :
       {"gemm_100x240x72", "layernorm_512x768", "row_sum_1000x600", "softmax_rows_64x1200", "gemv_750x1000",
        "transpose_720x1000", "gelu_tanh_49999", "conv2d_c3_48x48_oc6_k5", "cumsum_rows_300x1500"}) {
    const auto& task = tasks.at(id);
    auto function = actors::function_name(task.signature);
    const auto& variants = corpus().families.at(task.family);
    for (int i = 0; i < 8; ++i) {
      auto a = mock::answer(tasks, cfg, request_body(build_prompt(task, "draft", {})), mock::fault::none, rng,
                            &corpus());
      REQUIRE(a.status == 200);
      auto reply = first_reply(a);
      auto parsed = actors::parse_kernel(reply, function);
      CHECK(parsed.usable);
      CHECK(reply.find("// expect:") == std::string::npos);
      // The source is a corpus variant's, and its summary is the reply's statement.
      auto v = std::find_if(variants.begin(), variants.end(), [&](const mock::corpus_variant& c) {
        return c.source == parsed.source + "\n" || c.source == parsed.source;
      });
      REQUIRE(v != variants.end());
      CHECK(reply.find("Optimization: " + v->summary + "\n") != std::string::npos);
    }
  }
  SECTION("a family without a corpus keeps the template answer") {
    const auto& task = tasks.at("gemv_1024x1024");
    auto without_gemv = corpus();
    without_gemv.families.erase("gemv");
    auto a = mock::answer(tasks, cfg, request_body(build_prompt(task, "draft", {})), mock::fault::none, rng,
                          &without_gemv);
    REQUIRE(a.status == 200);
    auto reply = first_reply(a);
    CHECK(reply.find("Settings used:") != std::string::npos);
    CHECK(actors::parse_kernel(reply, "gemv").usable);
  }
}

TEST_CASE("replay answers a task with its files in order and other tasks as before", "[tools]") {
  auto problem = hardware::load_kernelbench_problem(
      test::source_dir / "tests/hardware/hostile/kernelbench/problems/23_WideSoftmax.py");
  REQUIRE(problem);
  auto tasks = cpu_tasks();
  auto id = problem->id;
  tasks.emplace(id, *problem);
  test::temp_dir dir{"replay"};
  std::filesystem::create_directories(dir.path() / id);
  auto model_new = [](const std::string& tag) {
    return "import torch\nclass ModelNew(torch.nn.Module):\n    def forward(self, x):\n        return "
           "torch.softmax(x, dim=1)  # " +
           tag + "\n";
  };
  std::ofstream{dir.path() / id / "b_second.py"} << model_new("second");
  std::ofstream{dir.path() / id / "a_first.py"} << model_new("first");
  std::ofstream{dir.path() / id / "notes.txt"} << "not a kernel";
  auto loaded = mock::load_replay(dir.path());
  REQUIRE(loaded);
  REQUIRE(loaded->size() == 1);
  REQUIRE(loaded->at(id).size() == 2);
  mock::replay_set replay{std::move(*loaded)};
  CHECK(replay.tasks() == 1);

  auto body = nlohmann::json::parse(request_body(build_prompt(*problem, "draft", {})));
  body["n"] = 3;  // three completions: first, second, then first again
  std::mt19937_64 rng{3};
  auto a = mock::answer(tasks, {}, body.dump(), mock::fault::none, rng, nullptr, &replay);
  REQUIRE(a.status == 200);
  auto choices = nlohmann::json::parse(a.body)["choices"];
  REQUIRE(choices.size() == 3);
  std::vector<std::string> tags;
  for (const auto& c : choices) {
    auto reply = c["message"]["content"].get<std::string>();
    auto parsed = actors::parse_model_new(reply);
    REQUIRE(parsed.usable);
    CHECK(reply.find("Optimization: the kernel of ") != std::string::npos);
    auto tag = parsed.source.substr(parsed.source.rfind("# ") + 2);
    tags.push_back(tag.substr(0, tag.find('\n')));
  }
  CHECK(tags == std::vector<std::string>{"first", "second", "first"});

  SECTION("a task without files keeps the template answer") {
    const auto& task = tasks.at("row_sum_256x2048");
    auto b = mock::answer(tasks, {}, request_body(build_prompt(task, "draft", {})), mock::fault::none, rng,
                          nullptr, &replay);
    REQUIRE(b.status == 200);
    CHECK(first_reply(b).find("Settings used:") != std::string::npos);
  }
  SECTION("an empty file or a missing directory is refused with its name") {
    std::ofstream{dir.path() / id / "c_empty.py"};
    auto bad = mock::load_replay(dir.path());
    REQUIRE_FALSE(bad);
    CHECK(describe(bad.error()).find("c_empty.py") != std::string::npos);
    auto missing = mock::load_replay(dir.path() / "nope");
    REQUIRE_FALSE(missing);
    CHECK(describe(missing.error()).find("nope") != std::string::npos);
  }
}
