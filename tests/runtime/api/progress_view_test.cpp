// The live terminal table of `kforge run` and its plain-line fallback.

#include "runtime/api/progress_view.hpp"

#include <catch2/catch.hpp>

#include <sstream>

using namespace kforge;

namespace {

actors::campaign_progress sample() {
  actors::campaign_progress p;
  p.campaign = "qs";
  p.status = "running";
  p.evaluations = 7;
  p.session_evaluations = 7;
  p.budget = 20;
  p.elapsed_ms = 3500;
  p.verifier.run_busy_ms = 50;
  p.verifier.uptime_ms = 100;
  actors::task_progress a;
  a.task_id = "softmax_rows_with_a_rather_long_name_256x1000";
  a.phase = "refine";
  a.evaluations = 5;
  a.budget = 10;
  a.reference_latency_ns = 4000;
  a.best_latency_ns = 1000;
  actors::task_progress b;
  b.task_id = "gemv";
  b.phase = "draft";
  b.evaluations = 2;
  b.budget = 10;
  p.tasks = {a, b};
  return p;
}

}  // namespace

TEST_CASE("the live table has a header, a row per task and fits the terminal", "[runtime]") {
  auto p = sample();
  for (int width : {40, 60, 120}) {
    auto text = runtime::render_live(p, width);
    std::istringstream in{text};
    std::string line;
    std::vector<std::string> lines;
    while (std::getline(in, line)) {
      CHECK(line.size() <= static_cast<size_t>(width));
      lines.push_back(line);
    }
    REQUIRE(lines.size() == 4);  // header, column names, two tasks
    CHECK(lines[0].rfind("campaign qs [running]", 0) == 0);
  }
  auto wide = runtime::render_live(p, 120);
  CHECK(wide.find("7/20 evaluations") != std::string::npos);
  CHECK(wide.find("4.00x") != std::string::npos);
  CHECK(wide.find("5/10") != std::string::npos);
  CHECK(wide.find("verifier busy 50%") != std::string::npos);
}

TEST_CASE("the plain progress line is one line with phases and the geomean", "[runtime]") {
  auto line = runtime::render_line(sample());
  CHECK(line.find('\n') == std::string::npos);
  CHECK(line.find("tasks: draft=1 refine=1") != std::string::npos);
  CHECK(line.find("geomean 2.00x") != std::string::npos);  // sqrt(4 x 1): a task without a best counts as 1
  CHECK(line.find("2.00 eval/s") != std::string::npos);
  CHECK(runtime::format_latency(0) == "-");
  CHECK(runtime::format_latency(1500) == "1.5 us");
}

TEST_CASE("a task that waits for the model shows as waiting, since when and why", "[runtime]") {
  auto p = sample();
  p.tasks[1].waiting_since_ms = 1700000000000;  // 2023-11-14 22:13:20 UTC
  p.tasks[1].last_error = "llm_unreachable: task gemv: 4 attempts, last: transport: refused";
  auto live = runtime::render_live(p, 200);
  CHECK(live.find("waiting") != std::string::npos);
  CHECK(live.find("waiting for the model since 2023-11-14 22:13:20 UTC") != std::string::npos);
  auto line = runtime::render_line(p);
  CHECK(line.find("waiting=1") != std::string::npos);
  CHECK(line.find("transport: refused") != std::string::npos);
  CHECK(runtime::render_summary(p).find("waiting for the model since") != std::string::npos);
  SECTION("a task that answers again does not") {
    p.tasks[1].waiting_since_ms = 0;
    CHECK(runtime::render_line(p).find("waiting") == std::string::npos);
  }
}

TEST_CASE("the calls on record tell which tasks wait for the model", "[runtime]") {
  auto p = sample();
  auto call = [](const std::string& task, int64_t at, const std::string& outcome) {
    memory::llm_call_record c;
    c.task_id = task;
    c.created_ms = at;
    c.latency_ms = 1000;
    c.outcome = outcome;
    if (outcome != "ok")
      c.errors = {"mock: transport: refused"};
    return c;
  };
  const std::string down = "error: llm_unreachable: task x: 4 attempts, last: transport: refused";
  // gemv: answered, then two unreachable calls (the wait began when the first of them began);
  // the other task: unreachable once, then answered again.
  std::vector<memory::llm_call_record> calls = {
      call("gemv", 5000, down), call("gemv", 1000, "ok"), call("gemv", 9000, down),
      call(p.tasks[0].task_id, 2000, down), call(p.tasks[0].task_id, 3000, "ok")};
  runtime::apply_model_waits(p, calls);
  CHECK(p.tasks[0].waiting_since_ms == 0);
  CHECK(p.tasks[1].waiting_since_ms == 4000);
  CHECK(p.tasks[1].last_error == "mock: transport: refused");
  SECTION("a refused call (llm_failed) is no wait") {
    auto q = sample();
    runtime::apply_model_waits(
        q, {call("gemv", 5000, "error: llm_failed: task gemv: 1 attempts, last: http 401")});
    CHECK(q.tasks[1].waiting_since_ms == 0);
  }
}

TEST_CASE("the summary shows each best re-measured at the end beside the campaign figure", "[runtime]") {
  auto p = sample();
  p.status = "finished";
  auto& a = p.tasks.front();
  // Campaign figure 4x; the final interleaved measurement says 3x.
  a.final_reference_ns = 3600;
  a.final_latency_ns = 1200;
  auto text = runtime::render_summary(p);
  CHECK(text.find("   final") != std::string::npos);
  CHECK(text.find("4.00x    3.00x") != std::string::npos);
  // gemv has no kernel: 1.0 in both geomeans; a's final 3x: sqrt(3).
  CHECK(text.find("geomean speedup over the references: 2.000x") != std::string::npos);
  CHECK(text.find("re-measured against its reference at the end (interleaved): 1.732x (1 of 2 tasks") !=
        std::string::npos);
}

TEST_CASE("without final measurements the summary prints no final geomean", "[runtime]") {
  auto text = runtime::render_summary(sample());
  CHECK(text.find("re-measured against its reference") == std::string::npos);
}
