// The one errc → HTTP mapping, checked for every enum value, and the error
// body format of the contract.
#include <catch2/catch.hpp>

#include <map>

#include "actors/common/json.hpp"
#include "net/http/errors.hpp"
#include "net/http/handler.hpp"

using namespace agora;
using namespace agora::net::http;

TEST_CASE("every errc maps to its documented status, wire code and Retry-After",
          "[net][errors]") {
  struct row {
    unsigned status;
    const char* wire;
    unsigned retry_after;
  };
  const std::map<errc, row> table = {
    {errc::invalid_request, {400, "invalid_request", 0}},
    {errc::unauthenticated, {401, "unauthenticated", 0}},
    {errc::forbidden, {403, "forbidden", 0}},
    {errc::not_found, {404, "not_found", 0}},
    {errc::method_not_allowed, {405, "method_not_allowed", 0}},
    {errc::conflict, {409, "conflict", 0}},
    {errc::invalid_transition, {409, "invalid_transition", 0}},
    {errc::payload_too_large, {413, "payload_too_large", 0}},
    {errc::unsupported_media_type, {415, "unsupported_media_type", 0}},
    {errc::out_of_stock, {422, "out_of_stock", 0}},
    {errc::insufficient_stock, {422, "insufficient_stock", 0}},
    {errc::payment_declined, {422, "payment_declined", 0}},
    {errc::payment_failed, {422, "payment_failed", 0}},
    {errc::cart_empty, {422, "cart_empty", 0}},
    {errc::product_unavailable, {422, "product_unavailable", 0}},
    {errc::currency_mismatch, {422, "currency_mismatch", 0}},
    {errc::refund_exceeds_captured, {422, "refund_exceeds_captured", 0}},
    {errc::rate_limited, {429, "rate_limited", 1}},
    {errc::unavailable, {503, "unavailable", 1}},
    {errc::concurrency_conflict, {503, "unavailable", 1}},
    {errc::internal, {500, "internal", 0}},
  };
  // The table must cover the whole enum: errc starts at 1 and ends at internal.
  auto last = static_cast<int>(errc::internal);
  CHECK(table.size() == static_cast<size_t>(last));
  for (int i = 1; i <= last; ++i) {
    auto code = static_cast<errc>(i);
    INFO("errc " << i << " = " << to_string(code));
    auto it = table.find(code);
    REQUIRE(it != table.end());
    auto m = map_error(code);
    CHECK(m.status == it->second.status);
    CHECK(to_string(m.wire_code) == it->second.wire);
    CHECK(m.retry_after_s == it->second.retry_after);
    CHECK(http_status(code) == it->second.status);
    // The response helper agrees with the table.
    auto r = response::error(make_problem(code, "m"));
    CHECK(r.status == it->second.status);
    CHECK(r.content_type == "application/json");
    bool has_retry = false;
    for (auto& [k, v] : r.headers)
      if (k == "Retry-After") {
        has_retry = true;
        CHECK(v == std::to_string(it->second.retry_after));
      }
    CHECK(has_retry == (it->second.retry_after > 0));
    auto body = parse_json(r.body);
    REQUIRE(body);
    CHECK(body->at("error").at("code").as_string() == it->second.wire);
  }
}

TEST_CASE("error bodies follow the contract exactly", "[net][errors]") {
  CHECK(render_error_body(make_problem(errc::not_found, "no route for /x"))
        == R"({"error":{"code":"not_found","message":"no route for /x","details":{}}})");
  CHECK(render_error_body(invalid_field("quantity", "quantity must be an integer"))
        == R"({"error":{"code":"invalid_request","message":"quantity must be an integer",)"
           R"("details":{"field":"quantity"}}})");
  CHECK(render_error_body(make_problem(errc::out_of_stock, "SKU \"A-1\"",
                                       R"({"sku":"A-1","requested":3,"available":1})"))
        == R"({"error":{"code":"out_of_stock","message":"SKU \"A-1\"",)"
           R"("details":{"sku":"A-1","requested":3,"available":1}}})");
  // Internal codes are rewritten; broken details become {}.
  CHECK(render_error_body(make_problem(errc::concurrency_conflict, "busy", "not json"))
        == R"({"error":{"code":"unavailable","message":"busy","details":{}}})");
  CHECK(render_error_body(make_problem(errc::internal, "x", "[1,2]"))
        == R"({"error":{"code":"internal","message":"x","details":{}}})");
  CHECK(render_error_body(make_problem(errc::internal, "x", "{not json}"))
        == R"({"error":{"code":"internal","message":"x","details":{}}})");
  CHECK(render_error_body(make_problem(errc::internal, "x", R"({"a":1} trailing)"))
        == R"({"error":{"code":"internal","message":"x","details":{}}})");
}

TEST_CASE("response factories set status, content type and headers", "[net][errors]") {
  auto j = response::json(201, R"({"a":1})").with_header("Location", "/x/1");
  CHECK(j.status == 201);
  CHECK(j.content_type == "application/json");
  CHECK(j.body == R"({"a":1})");
  REQUIRE(j.headers.size() == 1);
  CHECK(j.headers[0].first == "Location");
  auto n = response::no_content();
  CHECK(n.status == 204);
  CHECK(n.body.empty());
  CHECK(n.content_type.empty());
  CHECK(std::string(status_reason(431)) == "Request Header Fields Too Large");
}

TEST_CASE("a responder answers once; later replies are dropped", "[net][errors]") {
  std::vector<unsigned> delivered;
  {
    auto claim = std::make_shared<detail::reply_claim>();
    responder res{std::make_shared<detail::reply_slot>(
      claim, [&](response&& r) { delivered.push_back(r.status); })};
    auto copy = res;
    copy.json(200, "{}");
    res.no_content();
    res.error(errc::conflict, "late");
  }
  CHECK(delivered == std::vector<unsigned>{200});
}

TEST_CASE("a responder dropped without a reply answers 500 internal", "[net][errors]") {
  std::vector<response> delivered;
  {
    auto claim = std::make_shared<detail::reply_claim>();
    responder res{std::make_shared<detail::reply_slot>(
      claim, [&](response&& r) { delivered.push_back(std::move(r)); })};
  }
  REQUIRE(delivered.size() == 1);
  CHECK(delivered[0].status == 500);
  CHECK(delivered[0].body.find(R"("code":"internal")") != std::string::npos);
}

TEST_CASE("a claim taken by the timeout silences the handler's reply", "[net][errors]") {
  std::vector<unsigned> delivered;
  auto claim = std::make_shared<detail::reply_claim>();
  {
    responder res{std::make_shared<detail::reply_slot>(
      claim, [&](response&& r) { delivered.push_back(r.status); })};
    REQUIRE(claim->try_claim()); // the session's timeout wins
    res.json(200, "{}");
  }
  CHECK(delivered.empty());
}
