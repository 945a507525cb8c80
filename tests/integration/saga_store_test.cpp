// agora-saga's reads against a real journal: its list finds every checkout by
// its first event, checkout.started or checkout.refused (a checkout refused
// at its start is that one event), and a refusal journaled in the older two
// rows as well, and gives each the status today's fold gives it.
#include <catch2/catch.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "sagas/checkout.hpp"
#include "tests/integration/support/test_db.hpp"
#include "tools/agora-saga/store.hpp"

using namespace agora;
using namespace agora::checkout;

namespace {

/// Appends `events` to checkout `id`'s stream, as the journal writer would.
void write(persistence::pg::connection& conn, const std::string& id,
           const std::vector<event>& events, const std::vector<std::string>& types = {}) {
  int64_t seq = 0;
  for (const auto& ev : events) {
    auto type = types.empty() ? std::string(checkout_traits::event_type(ev)) : types[seq];
    auto r = conn.exec_params("INSERT INTO journal (persistence_id, seq_nr, event_type, payload) "
                              "VALUES ($1, $2, $3, $4::jsonb)",
                              {"checkout|" + id, std::to_string(++seq), type,
                               checkout_traits::encode_event(ev)});
    REQUIRE(r);
  }
}

started start_of(const std::string& id, timestamp_us at) {
  return started{id, "cart-" + id, "order-" + id, "pay-" + id, std::nullopt,
                 R"({"name":"A"})", "tok_ok", at, std::nullopt, "", false};
}

std::vector<std::string> ids_of(const result<std::vector<state>>& sagas) {
  REQUIRE(sagas);
  std::vector<std::string> out;
  for (const auto& st : *sagas)
    out.push_back(st.checkout_id);
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace

TEST_CASE("agora-saga lists checkouts by status, refusals in either form", "[saga_tool]") {
  test::test_database db;
  auto conn = db.connect();
  auto refusal = make_problem(errc::out_of_stock, "SKU-1: requested 1, available 0");

  write(*conn, "co-running", {start_of("co-running", 1)});
  auto done = start_of("co-done", 2);
  write(*conn, "co-done", {done, completed{3}});
  auto refused = start_of("co-refused", 4);
  refused.refused = refusal;
  write(*conn, "co-refused", {refused});
  // Before checkout.refused: the start with its refusal, then compensated.
  auto older = start_of("co-older", 5);
  older.refused = refusal;
  write(*conn, "co-older", {older, compensated{"out_of_stock", 5}},
        {"checkout.started", "checkout.compensated"});
  REQUIRE(db.query("SELECT count(*) FROM journal WHERE event_type = 'checkout.refused'") == "1");

  saga_tool::saga_store store{db.conninfo()};
  CHECK(ids_of(store.list(std::nullopt, 10)) ==
        std::vector<std::string>{"co-done", "co-older", "co-refused", "co-running"});
  CHECK(ids_of(store.list("compensated", 10)) ==
        std::vector<std::string>{"co-older", "co-refused"});
  CHECK(ids_of(store.list("running", 10)) == std::vector<std::string>{"co-running"});
  CHECK(ids_of(store.list("completed", 10)) == std::vector<std::string>{"co-done"});
  // Newest first: the limit keeps the last started.
  CHECK(ids_of(store.list(std::nullopt, 1)) == std::vector<std::string>{"co-older"});
}
