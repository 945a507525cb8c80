#include "persistence/projections/catalogue_projection.hpp"

#include <chrono>
#include <map>
#include <memory>

#include <caf/all.hpp>
#include <fmt/format.h>

#include "actors/common/json.hpp"
#include "actors/common/log.hpp"
#include "config/config.hpp"
#include "persistence/pg/connection.hpp"
#include "persistence/pg/pg_array.hpp"
#include "persistence/pg/tailer.hpp"

namespace agora::persistence::catalogue {

namespace {

// -- SQL: one prepared statement per kind of change -----------------------------

// $1 sku, $2 payload, $3 version (seq_nr), $4 list it (created) or keep
// the listed flag (replaced).
constexpr const char* upsert_product_sql = R"sql(
INSERT INTO catalogue_products AS c
       (sku, name, description, price_cents, currency, category, attributes, listed,
        version, updated_at)
SELECT $1, e.p->>'name', coalesce(e.p->>'description', ''), (e.p->>'price_cents')::bigint,
       e.p->>'currency', e.p->>'category', coalesce(e.p->'attributes', '{}'::jsonb), true,
       $3::bigint,
       coalesce('epoch'::timestamptz + (e.p->>'at')::bigint * interval '1 microsecond', now())
  FROM (SELECT $2::jsonb AS p) AS e
ON CONFLICT (sku) DO UPDATE SET
  name = excluded.name, description = excluded.description,
  price_cents = excluded.price_cents, currency = excluded.currency,
  category = excluded.category, attributes = excluded.attributes,
  listed = CASE WHEN $4::boolean THEN true ELSE c.listed END,
  version = excluded.version, updated_at = excluded.updated_at
)sql";

// $1 sku, $2 payload with the changed fields, $3 version.
constexpr const char* patch_product_sql = R"sql(
UPDATE catalogue_products AS c SET
  name = CASE WHEN e.p ? 'name' THEN e.p->>'name' ELSE c.name END,
  description = CASE WHEN e.p ? 'description' THEN e.p->>'description' ELSE c.description END,
  price_cents = CASE WHEN e.p ? 'price_cents' THEN (e.p->>'price_cents')::bigint
                     ELSE c.price_cents END,
  currency = CASE WHEN e.p ? 'currency' THEN e.p->>'currency' ELSE c.currency END,
  category = CASE WHEN e.p ? 'category' THEN e.p->>'category' ELSE c.category END,
  attributes = CASE WHEN e.p ? 'attributes' THEN e.p->'attributes' ELSE c.attributes END,
  version = $3::bigint,
  updated_at = coalesce('epoch'::timestamptz + (e.p->>'at')::bigint * interval '1 microsecond',
                        now())
  FROM (SELECT $2::jsonb AS p) AS e
 WHERE c.sku = $1
)sql";

// $1 sku, $2 payload, $3 version.
constexpr const char* retire_product_sql = R"sql(
UPDATE catalogue_products AS c SET
  listed = false, version = $3::bigint,
  updated_at = coalesce('epoch'::timestamptz + (e.p->>'at')::bigint * interval '1 microsecond',
                        now())
  FROM (SELECT $2::jsonb AS p) AS e
 WHERE c.sku = $1
)sql";

// $1 sku, $2 on_hand. Inventory may arrive before its product: the row is
// created unlisted.
constexpr const char* set_on_hand_sql = R"sql(
INSERT INTO catalogue_products AS c (sku, on_hand) VALUES ($1, $2::bigint)
ON CONFLICT (sku) DO UPDATE SET on_hand = excluded.on_hand
)sql";

// $1 sku, $2 on_hand delta, $3 reserved delta.
constexpr const char* inventory_delta_sql = R"sql(
INSERT INTO catalogue_products AS c (sku, on_hand, reserved)
VALUES ($1, $2::bigint, $3::bigint)
ON CONFLICT (sku) DO UPDATE SET on_hand = c.on_hand + excluded.on_hand,
                                reserved = c.reserved + excluded.reserved
)sql";

// The same for many SKUs at once: $1 skus, $2 on_hand deltas, $3 reserved
// deltas (one entry per SKU; the fast path sums a batch's deltas first).
constexpr const char* inventory_deltas_sql = R"sql(
INSERT INTO catalogue_products AS c (sku, on_hand, reserved)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[])
ON CONFLICT (sku) DO UPDATE SET on_hand = c.on_hand + excluded.on_hand,
                                reserved = c.reserved + excluded.reserved
)sql";

constexpr const char* lock_offset_sql = R"sql(
INSERT INTO projection_offsets (name, last_offset) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING
)sql";

constexpr const char* read_offset_sql
  = "SELECT last_offset FROM projection_offsets WHERE name = $1 FOR UPDATE";

constexpr const char* store_offset_sql
  = "UPDATE projection_offsets SET last_offset = $2::bigint WHERE name = $1";

void prepare_all(pg::connection& conn) {
  if (conn.has_statement("cat_upsert"))
    return;
  conn.prepare("cat_upsert", upsert_product_sql);
  conn.prepare("cat_patch", patch_product_sql);
  conn.prepare("cat_retire", retire_product_sql);
  conn.prepare("cat_on_hand", set_on_hand_sql);
  conn.prepare("cat_inv_delta", inventory_delta_sql);
  conn.prepare("cat_inv_deltas", inventory_deltas_sql);
  conn.prepare("cat_offset_init", lock_offset_sql);
  conn.prepare("cat_offset_read", read_offset_sql);
  conn.prepare("cat_offset_store", store_offset_sql);
}

// -- applying one event -----------------------------------------------------------

/// One statement to run for an event (or none).
struct change {
  std::string statement;
  std::vector<std::string> params;
};

std::optional<int64_t> int_field(const std::string& payload, std::string_view key) {
  auto doc = parse_json(payload);
  if (!doc || !doc->is_object())
    return std::nullopt;
  return get_int(doc->as_object(), key);
}

/// Translates a journal row into a change of the read model; nullopt for
/// events the read model ignores, a problem for malformed ones.
result<std::optional<change>> translate(const event_row& ev) {
  auto bar = ev.persistence_id.find('|');
  if (bar == std::string::npos)
    return std::optional<change>{};
  auto sku = ev.persistence_id.substr(bar + 1);
  auto seq = std::to_string(ev.seq_nr);
  const auto& t = ev.event_type;
  if (t == "product.created")
    return std::optional<change>{change{"cat_upsert", {sku, ev.payload, seq, "true"}}};
  if (t == "product.replaced")
    return std::optional<change>{change{"cat_upsert", {sku, ev.payload, seq, "false"}}};
  if (t == "product.patched")
    return std::optional<change>{change{"cat_patch", {sku, ev.payload, seq}}};
  if (t == "product.retired")
    return std::optional<change>{change{"cat_retire", {sku, ev.payload, seq}}};
  if (t == "inventory.adjusted") {
    auto on_hand = int_field(ev.payload, "on_hand");
    if (!on_hand)
      return make_problem(errc::internal, "inventory.adjusted without on_hand");
    return std::optional<change>{change{"cat_on_hand", {sku, std::to_string(*on_hand)}}};
  }
  int64_t on_hand_sign = 0;
  int64_t reserved_sign = 0;
  if (t == "inventory.reserved") {
    reserved_sign = 1;
  } else if (t == "inventory.released" || t == "inventory.expired") {
    reserved_sign = -1;
  } else if (t == "inventory.committed") {
    on_hand_sign = -1;
    reserved_sign = -1;
  } else {
    return std::optional<change>{};
  }
  auto q = int_field(ev.payload, "quantity");
  if (!q)
    return make_problem(errc::internal, t + " without quantity");
  return std::optional<change>{change{
    "cat_inv_delta", {sku, std::to_string(on_hand_sign * *q), std::to_string(reserved_sign * *q)}}};
}

problem db_problem(const pg::db_error& err) {
  return make_problem(err.kind == pg::failure_kind::unavailable ? errc::unavailable
                                                                : errc::internal,
                      err.message);
}

enum class apply_mode { fast, isolated };

/// One transaction: lock the offset, read, apply, store the offset. In
/// isolated mode every event runs in a savepoint and failing ones are skipped.
result<step_report> run_step(pg::connection& conn, int64_t max_events, apply_mode mode,
                             bool& statement_failed) {
  statement_failed = false;
  static const journal_tailer tailer{{"product.", "inventory."}};
  auto rollback = [&](const pg::db_error& err) -> result<step_report> {
    if (err.kind != pg::failure_kind::unavailable) {
      conn.exec("ROLLBACK");
      statement_failed = true;
    } else {
      conn.reset();
    }
    return db_problem(err);
  };
  if (auto res = conn.exec("BEGIN"); !res)
    return rollback(res.error());
  if (auto res = conn.exec_prepared("cat_offset_init", {projection_name}); !res)
    return rollback(res.error());
  auto cur = conn.exec_prepared("cat_offset_read", {projection_name});
  if (!cur)
    return rollback(cur.error());
  step_report report;
  report.offset = cur.int64(0, 0);
  auto batch = tailer.read(conn, report.offset, max_events);
  if (!batch) {
    conn.exec("ROLLBACK");
    return std::move(batch).error();
  }
  if (batch->scanned_to == report.offset) {
    conn.exec("ROLLBACK");
    return report;
  }
  const auto& rows = batch->rows;
  report.read = std::ssize(rows);
  // Events that cannot be applied, logged once the step committed.
  std::vector<std::string> skipped;
  // Fast mode sums consecutive stock deltas per SKU (additions commute) and
  // writes them in one statement before any other change, and at the end:
  // a checkout's half-dozen inventory events cost no statement of their own.
  std::map<std::string, std::pair<int64_t, int64_t>> deltas;
  auto flush_deltas = [&]() -> std::optional<pg::db_error> {
    if (deltas.empty())
      return std::nullopt;
    std::vector<std::string> skus, on_hand, reserved;
    for (const auto& [sku, d] : deltas) {
      skus.push_back(sku);
      on_hand.push_back(std::to_string(d.first));
      reserved.push_back(std::to_string(d.second));
    }
    deltas.clear();
    auto res = conn.exec_prepared("cat_inv_deltas", {pg::text_array(skus),
                                                     pg::text_array(on_hand),
                                                     pg::text_array(reserved)});
    if (!res)
      return res.error();
    return std::nullopt;
  };
  for (const auto& ev : rows) {
    auto ch = translate(ev);
    if (!ch) {
      skipped.push_back(fmt::format("{} #{} at offset {}: {}", ev.persistence_id, ev.seq_nr,
                                    ev.global_offset, ch.error().message));
      continue;
    }
    if (!*ch)
      continue;
    if (mode == apply_mode::fast && (*ch)->statement == "cat_inv_delta") {
      auto& d = deltas[(*ch)->params[0]];
      d.first += std::stoll((*ch)->params[1]);
      d.second += std::stoll((*ch)->params[2]);
      ++report.applied;
      continue;
    }
    if (auto err = flush_deltas())
      return rollback(*err);
    if (mode == apply_mode::isolated) {
      if (auto res = conn.exec("SAVEPOINT ev"); !res)
        return rollback(res.error());
    }
    auto res = conn.exec_prepared((*ch)->statement, (*ch)->params);
    if (!res) {
      if (mode == apply_mode::fast || res.error().kind == pg::failure_kind::unavailable)
        return rollback(res.error());
      skipped.push_back(fmt::format("{} #{} at offset {}: {}", ev.persistence_id, ev.seq_nr,
                                    ev.global_offset, res.error().message));
      if (auto rb = conn.exec("ROLLBACK TO SAVEPOINT ev"); !rb)
        return rollback(rb.error());
    } else if (mode == apply_mode::isolated) {
      if (auto rel = conn.exec("RELEASE SAVEPOINT ev"); !rel)
        return rollback(rel.error());
    }
    ++report.applied;
  }
  if (auto err = flush_deltas())
    return rollback(*err);
  // Past the rows of other types too: they are not scanned again.
  report.offset = batch->scanned_to;
  if (auto res = conn.exec_prepared("cat_offset_store",
                                    {projection_name, std::to_string(report.offset)});
      !res)
    return rollback(res.error());
  if (auto res = conn.exec("COMMIT"); !res)
    return rollback(res.error());
  for (const auto& what : skipped)
    persistence_log().error("catalogue projection: skipped {}", what);
  return report;
}

// -- the detached actor -------------------------------------------------------------

struct projection_state {
  static inline const char* name = "catalogue-projection";
  std::unique_ptr<pg::connection> conn;
  std::chrono::milliseconds interval{100};
  int64_t offset = 0;
  bool failing = false;
  /// Our own tick is pending (ticks sent from outside must not start a
  /// second timer chain).
  bool timer_armed = false;
};

using projection_pointer = catalogue_projection_actor::stateful_pointer<projection_state>;

/// Applies batches until the journal is drained (bounded, so stats and exit
/// messages are not starved).
void poll(projection_pointer self) {
  auto& st = self->state;
  constexpr int64_t batch = 500;
  for (int round = 0; round < 20; ++round) {
    auto res = project_catalogue_once(*st.conn, batch);
    if (!res) {
      if (!st.failing)
        persistence_log().warn("catalogue projection: {}", res.error().message);
      st.failing = true;
      return;
    }
    if (st.failing)
      persistence_log().info("catalogue projection: running again");
    st.failing = false;
    st.offset = res->offset;
    if (res->read < batch)
      return;
  }
}

catalogue_projection_actor::behavior_type projection_impl(projection_pointer self,
                                                          std::string conninfo,
                                                          int64_t interval_ms) {
  auto& st = self->state;
  st.conn = std::make_unique<pg::connection>(std::move(conninfo), "agora-catalogue-projection");
  st.interval = std::chrono::milliseconds{std::max<int64_t>(1, interval_ms)};
  st.timer_armed = true;
  self->send(self, tick_atom_v);
  return {
    [=](tick_atom) {
      auto& s = self->state;
      // Our own timer fired (ticks from outside just poll early).
      if (self->current_sender().get() == self->ctrl())
        s.timer_armed = false;
      poll(self);
      if (!s.timer_armed) {
        s.timer_armed = true;
        self->delayed_send(self, s.interval, tick_atom_v);
      }
    },
    [=](stats_atom) -> int64_t { return self->state.offset; },
  };
}

} // namespace

catalogue_projection_actor spawn_catalogue_projection(caf::actor_system& sys,
                                                      const agora::config& cfg) {
  return sys.spawn<caf::detached>(projection_impl, cfg.pg.conninfo,
                                  cfg.catalogue.poll_interval_ms);
}

result<step_report> project_catalogue_once(pg::connection& conn, int64_t max_events) {
  if (!conn.ensure_connected())
    return make_problem(errc::unavailable, conn.last_error().message);
  prepare_all(conn);
  bool statement_failed = false;
  auto res = run_step(conn, max_events, apply_mode::fast, statement_failed);
  if (!res && statement_failed)
    res = run_step(conn, max_events, apply_mode::isolated, statement_failed);
  return res;
}

} // namespace agora::persistence::catalogue
