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
