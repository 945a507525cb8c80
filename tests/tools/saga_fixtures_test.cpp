// Recorded checkout sagas (tests/fixtures/sagas/*.json, written by
// `agora-saga export` from real agora-node runs) replayed with today's
// decisions: a change to next_action / decide / apply_event / the codec that
// would treat a recorded saga differently fails here. The mutation tests show
// that replay does notice a changed history.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "actors/common/json.hpp"
#include "sagas/checkout.hpp"
#include "tools/agora-saga/fixture.hpp"

using namespace agora;
using namespace agora::saga_tool;
namespace fs = std::filesystem;

namespace {

std::vector<fs::path> fixture_files() {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(AGORA_SAGA_FIXTURES))
    if (entry.is_regular_file() && entry.path().extension() == ".json")
      out.push_back(entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

fixture load(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  std::string error;
  auto f = parse_fixture(text.str(), error);
  INFO(path.string() << ": " << error);
  REQUIRE(f.has_value());
  return *f;
}

std::vector<checkout::event> decode(const fixture& f) {
  std::string error;
  auto events = decode_events(f, error);
  INFO(error);
  REQUIRE(events.has_value());
  return *events;
}

checkout::state fold(const std::vector<checkout::event>& events) {
  checkout::state st;
  for (const auto& ev : events)
    st = checkout::checkout_traits::apply_event(std::move(st), ev);
  return st;
}

/// What each recorded scenario must have ended as: status and reason.
struct outcome {
  checkout::saga_status status;
  std::optional<std::string> reason;
};

const std::map<std::string, outcome> expected_outcomes = {
  {"completed", {checkout::saga_status::completed, std::nullopt}},
  {"payment_declined", {checkout::saga_status::compensated, "payment_declined"}},
  {"payment_failed", {checkout::saga_status::compensated, "payment_failed"}},
  // The stock was gone when the checkout began: refused in one append.
  {"out_of_stock", {checkout::saga_status::compensated, "out_of_stock"}},
  // The stock went between the admission and the reservation (recorded
  // before admissions existed): the reservation refuses and the saga
  // compensates.
  {"out_of_stock_at_reservation", {checkout::saga_status::compensated, "out_of_stock"}},
  // tok_slow: authorization attempts time out (outcome unknown); the
  // compensation learns the late authorization and voids it.
  {"payment_timed_out", {checkout::saga_status::compensated, "payment_failed"}},
  // Stuck after the pivot, resumed, stuck again, closed by the operator.
  {"closed_by_operator", {checkout::saga_status::failed, std::nullopt}},
};

/// The fixture with one event's payload changed by `edit`.
fixture mutated(fixture f, size_t index, const std::function<void(json::object&)>& edit) {
  auto payload = parse_json(f.events.at(index).payload);
  REQUIRE(payload);
  REQUIRE(payload->is_object());
  edit(payload->get_object());
  f.events[index].payload = json::serialize(*payload);
  return f;
}

/// Index of the first step_attempted event with verdict "done".
std::optional<size_t> first_done_attempt(const fixture& f) {
  for (size_t i = 0; i < f.events.size(); ++i) {
    if (f.events[i].type != "checkout.step_attempted")
      continue;
    auto payload = parse_json(f.events[i].payload);
    if (payload && payload->is_object() &&
        get_string(payload->get_object(), "verdict") == std::optional<std::string>("done"))
      return i;
  }
  return std::nullopt;
}

} // namespace

TEST_CASE("the recorded scenarios are all there", "[fixtures]") {
  auto files = fixture_files();
  std::vector<std::string> names;
  for (const auto& p : files)
    names.push_back(p.stem().string());
  for (const auto& [name, _] : expected_outcomes) {
    INFO("tests/fixtures/sagas/" << name << ".json");
    CHECK(std::find(names.begin(), names.end(), name) != names.end());
  }
}

TEST_CASE("every recorded saga replays without divergence", "[fixtures]") {
  auto files = fixture_files();
  REQUIRE(!files.empty());
  for (const auto& path : files) {
    DYNAMIC_SECTION(path.filename().string()) {
      auto f = load(path);
      auto events = decode(f);
      REQUIRE(events.size() >= 2);
      REQUIRE(std::holds_alternative<checkout::started>(events.front()));
      CHECK(std::get<checkout::started>(events.front()).checkout_id == f.checkout_id);

      auto report = checkout::replay(events, static_cast<int>(f.max_attempts));
      INFO("divergence at event " << report.at_event << ": " << report.divergence);
      CHECK(report.divergence.empty());
      CHECK(report.at_event == -1);
      CHECK(report.events == static_cast<int64_t>(events.size()));

      // The recording ended where its name says.
      auto st = fold(events);
      CHECK(st.terminal());
      if (auto it = expected_outcomes.find(path.stem().string()); it != expected_outcomes.end()) {
        CHECK(st.status == it->second.status);
        CHECK(st.reason == it->second.reason);
      }
    }
  }
}

TEST_CASE("a fixture survives export and reading back unchanged", "[fixtures]") {
  for (const auto& path : fixture_files()) {
    DYNAMIC_SECTION(path.filename().string()) {
      auto f = load(path);
      std::string error;
      auto again = parse_fixture(encode_fixture(f), error);
      REQUIRE(again.has_value());
      CHECK(again->checkout_id == f.checkout_id);
      CHECK(again->max_attempts == f.max_attempts);
      REQUIRE(again->events.size() == f.events.size());
      bool same_events = decode(*again) == decode(f);
      CHECK(same_events);
    }
  }
}

TEST_CASE("replay reports a mutated fixture's first divergence", "[fixtures]") {
  auto files = fixture_files();
  REQUIRE(!files.empty());
  for (const auto& path : files) {
    DYNAMIC_SECTION(path.filename().string()) {
      auto f = load(path);
      auto done = first_done_attempt(f);
      if (!done) {
        // Refused at its start: no attempt ran. Without its refusal the
        // start decides a running saga, not the recorded end.
        auto bad = mutated(f, 0, [](json::object& o) { o.erase("refused"); });
        auto report = checkout::replay(decode(bad), static_cast<int>(f.max_attempts));
        CHECK_FALSE(report.divergence.empty());
        CHECK(report.at_event == 1);
        continue;
      }

      SECTION("a verdict changed from done to retry") {
        auto bad = mutated(f, *done, [](json::object& o) { o["verdict"] = "retry"; });
        auto report = checkout::replay(decode(bad), static_cast<int>(f.max_attempts));
        CHECK_FALSE(report.divergence.empty());
        CHECK(report.at_event == static_cast<int64_t>(*done));
      }
      SECTION("a successful reply recorded as a definite, final failure") {
        auto bad = mutated(f, *done, [](json::object& o) {
          o["ok"] = false;
          o["retryable"] = false;
          json::object err;
          err["code"] = "unavailable";
          err["message"] = "mutated";
          err["details"] = json::object{};
          o["error"] = std::move(err);
          o.erase("priced");
        });
        auto report = checkout::replay(decode(bad), static_cast<int>(f.max_attempts));
        CHECK_FALSE(report.divergence.empty());
        CHECK(report.at_event >= static_cast<int64_t>(*done));
      }
      SECTION("the attempt number of a reply changed") {
        auto bad = mutated(f, *done, [](json::object& o) {
          o["attempt"] = get_int(o, "attempt").value_or(1) + 1;
        });
        auto report = checkout::replay(decode(bad), static_cast<int>(f.max_attempts));
        CHECK_FALSE(report.divergence.empty());
        CHECK(report.at_event == static_cast<int64_t>(*done));
      }
      SECTION("the recording cut before a consequence of its last reply") {
        // completed / compensated / stuck follow from the reply before them:
        // without it, today's code decides it after the end of the recording.
        auto bad = f;
        size_t cut = bad.events.size();
        while (cut > 0 && bad.events[cut - 1].type != "checkout.completed" &&
               bad.events[cut - 1].type != "checkout.compensated" &&
               bad.events[cut - 1].type != "checkout.stuck")
          --cut;
        REQUIRE(cut > 0);
        bad.events.resize(cut - 1);
        auto report = checkout::replay(decode(bad), static_cast<int>(f.max_attempts));
        CHECK_FALSE(report.divergence.empty());
        CHECK(report.at_event == static_cast<int64_t>(bad.events.size()));
      }
    }
  }
}
