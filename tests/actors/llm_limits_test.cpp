#include "actors/llm_proxy/endpoint_bandit.hpp"
#include "actors/llm_proxy/llm_budget.hpp"
#include "actors/llm_proxy/openai_protocol.hpp"
#include "actors/llm_proxy/token_bucket.hpp"

#include "runtime/base/error.hpp"

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

using namespace kforge;
using namespace kforge::actors;

TEST_CASE("a token bucket holds a minute's worth and refills continuously", "[actors]") {
  token_bucket b{60, 0};  // one per second
  CHECK(b.can_take(60, 0));
  b.take(60, 0);
  CHECK_FALSE(b.can_take(1, 0));
  CHECK(b.wait_ms(1, 0) == Approx(1000));
  CHECK_FALSE(b.can_take(1, 999));
  CHECK(b.can_take(1, 1000));
  CHECK(b.level(1000000) == Approx(60));  // capped at capacity
  SECTION("an oversized request waits for a full bucket, then goes") {
    token_bucket t{100, 0};
    t.take(50, 0);
    CHECK(t.wait_ms(500, 0) == Approx(30000));
    CHECK(t.can_take(500, 30000));
  }
  SECTION("zero means unlimited") {
    token_bucket u{0, 0};
    u.take(1e9, 0);
    CHECK(u.can_take(1e9, 0));
    CHECK(u.wait_ms(1e9, 0) == 0);
  }
}

TEST_CASE("backoff doubles with jitter, is capped, and Retry-After wins", "[actors]") {
  retry_config cfg;
  cfg.base_ms = 100;
  cfg.max_ms = 1000;
  cfg.jitter = 0.5;
  std::mt19937_64 rng{7};
  for (int i = 0; i < 50; ++i) {
    auto b1 = backoff_ms(cfg, 1, -1, rng);
    auto b3 = backoff_ms(cfg, 3, -1, rng);
    auto b9 = backoff_ms(cfg, 9, -1, rng);
    CHECK(b1 >= 50);
    CHECK(b1 <= 100);
    CHECK(b3 >= 200);
    CHECK(b3 <= 400);
    CHECK(b9 >= 500);
    CHECK(b9 <= 1000);
  }
  CHECK(backoff_ms(cfg, 1, 250, rng) == 250);
  CHECK(backoff_ms(cfg, 1, 5000, rng) == 1000);
}

TEST_CASE("Retry-After is read as seconds or as an HTTP date", "[actors]") {
  CHECK(parse_retry_after("2", 0) == 2000);
  CHECK(parse_retry_after(" 0.05 ", 0) == Approx(50));
  CHECK(parse_retry_after("", 0) == -1);
  CHECK(parse_retry_after("soon", 0) == -1);
  CHECK(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777.0 - 3) == Approx(3000));
  CHECK(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777.0 + 10) == 0);
}

TEST_CASE("URLs of endpoints are parsed with default ports", "[actors]") {
  auto a = parse_url("http://127.0.0.1:8000/v1/");
  REQUIRE(a);
  CHECK_FALSE(a->tls);
  CHECK(a->host == "127.0.0.1");
  CHECK(a->port == "8000");
  CHECK(a->path == "/v1");
  auto b = parse_url("https://api.example.com/v1");
  REQUIRE(b);
  CHECK(b->tls);
  CHECK(b->port == "443");
  CHECK_FALSE(parse_url("ftp://x"));
  CHECK_FALSE(parse_url("http://:80/"));
  CHECK_FALSE(parse_url("http://h:8x/"));
  CHECK_FALSE(parse_url("http://h:99999/"));
  CHECK_FALSE(parse_url("http://h:123456789012345678901234567890/"));
  CHECK_FALSE(parse_url("http://[::1/v1"));
  auto v6 = parse_url("http://[::1]:8000/v1");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == "8000");
  CHECK(v6->path == "/v1");
}

TEST_CASE("responses are classified as ok, retryable or final", "[actors]") {
  http_exchange x;
  SECTION("ok with usage") {
    x.status = 200;
    x.body = R"({"choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"},
                {"index":1,"message":{"content":"ho"},"finish_reason":"length"}],
                "usage":{"prompt_tokens":12,"completion_tokens":34}})";
    auto o = classify(x);
    REQUIRE(o.ok);
    CHECK(o.result.contents == std::vector<std::string>{"hi", "ho"});
    CHECK(o.result.finish_reasons[1] == "length");
    CHECK(o.result.tokens_in == 12);
    CHECK(o.result.tokens_out == 34);
  }
  SECTION("429 with Retry-After") {
    x.status = 429;
    x.retry_after = "0.2";
    x.body = R"({"error":{"message":"slow down"}})";
    auto o = classify(x);
    CHECK_FALSE(o.ok);
    CHECK(o.retryable);
    CHECK(o.retry_after_ms == Approx(200));
    CHECK(o.what == "http 429: slow down");
  }
  SECTION("5xx, transport errors, malformed JSON and empty choices are retried") {
    x.status = 503;
    CHECK(classify(x).retryable);
    http_exchange t;
    t.error = "read: end of stream";
    CHECK(classify(t).retryable);
    http_exchange m;
    m.status = 200;
    m.body = R"({"choices":[{"mess)";
    CHECK(classify(m).retryable);
    CHECK(classify(m).what.find("malformed json") == 0);
    http_exchange e;
    e.status = 200;
    e.body = R"({"choices":[]})";
    CHECK(classify(e).retryable);
    CHECK(classify(e).what == "no choices");
  }
  SECTION("a bad key or model is final") {
    x.status = 401;
    CHECK_FALSE(classify(x).retryable);
    x.status = 404;
    CHECK_FALSE(classify(x).retryable);
  }
}

TEST_CASE("a body too large or usage no honest server reports is a protocol error", "[actors]") {
  response_limits limits;
  limits.max_body_bytes = 400;
  limits.max_tokens_out = 100;
  limits.max_tokens_in = 5000;
  auto answer = [](const std::string& usage) {
    http_exchange x;
    x.status = 200;
    x.body = R"({"choices":[{"message":{"content":"hi"}}],"usage":)" + usage + "}";
    return x;
  };
  auto honest = classify(answer(R"({"prompt_tokens":4000,"completion_tokens":100})"), limits);
  CHECK(honest.ok);
  CHECK_FALSE(honest.protocol_error);
  struct bad_case {
    std::string usage;
    std::string what;
  };
  for (const auto& c :
       {bad_case{R"({"prompt_tokens":10,"completion_tokens":-5000})", "negative or impossible"},
        bad_case{R"({"prompt_tokens":-1,"completion_tokens":5})", "negative or impossible"},
        bad_case{R"({"prompt_tokens":1,"completion_tokens":18446744073709551615})", "negative or impossible"},
        bad_case{R"({"prompt_tokens":10,"completion_tokens":101})",
                 "101 completion tokens, more than the request allows (100)"},
        bad_case{R"({"prompt_tokens":5001,"completion_tokens":1})", "5001 prompt tokens"}}) {
    INFO(c.usage);
    auto o = classify(answer(c.usage), limits);
    CHECK_FALSE(o.ok);
    CHECK_FALSE(o.retryable);
    CHECK(o.protocol_error);
    CHECK_THAT(o.what, Catch::StartsWith("protocol error: ") && Catch::Contains(c.what));
  }
  SECTION("a body over the limit, as read or as cut off by the client") {
    auto big = answer(R"({"prompt_tokens":1,"completion_tokens":1})");
    big.body += std::string(400, ' ');
    auto o = classify(big, limits);
    CHECK(o.protocol_error);
    CHECK_FALSE(o.retryable);
    CHECK_THAT(o.what, Catch::Contains("larger than [llm] max_response_bytes = 400 bytes"));
    http_exchange cut;
    cut.oversized = true;
    cut.error = "read: response body larger than 400 bytes";
    CHECK(classify(cut, limits).protocol_error);
  }
  SECTION("the limits of a request follow its n, max_tokens and prompt") {
    endpoint_config ep;
    ep.max_tokens = 512;
    prompt p;
    p.system = std::string(100, 's');
    p.user = std::string(900, 'u');
    auto l = limits_of(ep, p, 3, 65536);
    CHECK(l.max_body_bytes == 65536);
    CHECK(l.max_tokens_out == 3 * 512);
    CHECK(l.max_tokens_in == 1000 + 4096);
  }
}

TEST_CASE("the request body carries model, messages, sampling and n", "[actors]") {
  endpoint_config ep;
  ep.model = "m";
  ep.temperature = 0.2;
  ep.max_tokens = 100;
  auto body = nlohmann::json::parse(chat_request_body(ep, {"sys", "user"}, 3, 42));
  CHECK(body["model"] == "m");
  CHECK(body["messages"][0]["role"] == "system");
  CHECK(body["messages"][1]["content"] == "user");
  CHECK(body["n"] == 3);
  CHECK(body["max_tokens"] == 100);
  ep.send_n = false;
  CHECK_FALSE(nlohmann::json::parse(chat_request_body(ep, {"s", "u"}, 3, 1)).contains("n"));
  CHECK(request_hash("c", "t", "draft", 1, 2) == request_hash("c", "t", "draft", 1, 2));
  CHECK(request_hash("c", "t", "draft", 1, 2) != request_hash("c", "t", "draft", 2, 2));
  CHECK(request_hash("c", "t", "draft", 1, 2) != request_hash("c", "t", "refine", 1, 2));
  CHECK(request_hash("c", "t", "draft", 1, 2) != request_hash("c", "u", "draft", 1, 2));
  CHECK(request_hash("c", "t", "draft", 1, 2) != request_hash("d", "t", "draft", 1, 2));
}

TEST_CASE("budgets reserve estimates so calls in flight cannot overshoot", "[actors]") {
  llm_budget b{1000, 0};
  CHECK(b.fits(600, 0));
  b.reserve(600, 0);
  CHECK(b.has_reservations());
  CHECK_FALSE(b.fits(600, 0));  // reserved + new would pass the limit
  b.settle(600, 0, 300, 0);     // the call used less than its estimate
  CHECK_FALSE(b.has_reservations());
  CHECK(b.fits(600, 0));
  CHECK(b.spent_tokens() == 300);
  CHECK_FALSE(b.is_spent(600, 0));
  CHECK(b.is_spent(701, 0));
  llm_budget money{0, 1.0, 0, 0.75};  // resumed with 0.75 spent
  CHECK(money.fits(0, 0.25));
  CHECK_FALSE(money.fits(0, 0.26));
}

TEST_CASE("the endpoint bandit tries every arm, then prefers reward per cost", "[actors]") {
  endpoint_bandit b{{"cheap", "dear"}, 0.1};
  auto c = b.choose({true, true});
  CHECK(c.arm == 0);
  CHECK(c.reason == "untried cheap");
  b.update(0, 1.0, 0.001);
  CHECK(b.choose({true, true}).arm == 1);
  b.update(1, 1.0, 0.01);  // same reward, ten times the cost
  for (int i = 0; i < 20; ++i) {
    auto choice = b.choose({true, true});
    CHECK(choice.arm == 0);
    CHECK(choice.reason.find("ucb cheap=") == 0);
    b.update(choice.arm, 1.0, 0.001);
  }
  SECTION("only eligible arms are chosen") {
    CHECK(b.choose({false, true}).arm == 1);
    CHECK(b.choose({false, false}).arm == -1);
  }
}
