#include "tools/agora-node/node.hpp"

#include <csignal>
#include <cstdlib>
#include <future>
#include <thread>

#include <caf/all.hpp>

#include "actors/common/ids.hpp"
#include "actors/common/log.hpp"
#include "actors/common/metrics.hpp"
#include "actors/payment/simulated_gateway.hpp"
#include "actors/runtime/lifeline.hpp"
#include "actors/runtime/oneshot.hpp"
#include "actors/runtime/scheduler.hpp"
#include "actors/runtime/system_config.hpp"
#include "net/api/api.hpp"
#include "net/http/server.hpp"
#include "persistence/pg/checkout_resume.hpp"
#include "persistence/pg/connection.hpp"
#include "persistence/pg/journal_writer.hpp"
#include "persistence/pg/migrations.hpp"
#include "persistence/pg/probe.hpp"
#include "persistence/pg/reader.hpp"
#include "persistence/pg/idempotency_store.hpp"
#include "persistence/pg/revocation_store.hpp"
#include "persistence/projections/catalogue_projection.hpp"
#include "sagas/checkout_runner.hpp"
#include "tools/agora-node/demo_catalogue.hpp"

namespace agora::node {

namespace {

using namespace std::chrono_literals;

/// Applies the migrations, retrying while PostgreSQL is starting up.
bool migrate(const config& cfg) {
  for (int attempt = 1;; ++attempt) {
    auto report = persistence::pg::apply_migrations(cfg.pg.conninfo);
    if (report) {
      if (!report->applied.empty())
        node_log().info("applied {} migration(s); schema version {}", report->applied.size(),
                        report->current_version);
      return true;
    }
    if (attempt >= 30) {
      node_log().critical("cannot apply migrations: {}", report.error().message);
      return false;
    }
    node_log().warn("PostgreSQL not ready ({}); retrying", report.error().message);
    std::this_thread::sleep_for(1s);
  }
}

/// Waits for an entity reply from the main thread (start-up only).
template <class Traits>
result<runtime::view_t<Traits>> ask_blocking(const runtime::region_ref<Traits>& region,
                                             std::string id, typename Traits::command cmd,
                                             std::string correlation) {
  auto p = std::make_shared<std::promise<result<runtime::view_t<Traits>>>>();
  auto f = p->get_future();
  region.tell(std::move(id), std::move(cmd), std::move(correlation),
              [p](result<runtime::view_t<Traits>> r) { p->set_value(std::move(r)); });
  if (f.wait_for(60s) != std::future_status::ready)
    return make_problem(errc::unavailable, "no reply within 60 s");
  return f.get();
}

/// Creates the admin account from configuration if it does not exist yet.
bool bootstrap_admin(const config& cfg, net::api::services& s) {
  auto email = customer::normalize_email(cfg.auth.admin_email);
  if (!email) {
    node_log().critical("auth.admin_email: not a valid e-mail address");
    return false;
  }
  auto existing = ask_blocking(s.customers, *email, customer::get{}, "bootstrap");
  if (!existing) {
    node_log().critical("cannot read the admin account: {}", existing.error().message);
    return false;
  }
  if (existing->exists)
    return true;
  auto hash = net::auth::password_hasher::hash_blocking(cfg.auth.admin_password,
                                                        static_cast<int>(cfg.auth.bcrypt_cost));
  if (!hash) {
    node_log().critical("cannot hash the admin password");
    return false;
  }
  customer::register_customer cmd{new_uuid(), *email, "Administrator", *hash,
                                  std::string(customer::role_admin)};
  auto created = ask_blocking(s.customers, *email, std::move(cmd), "bootstrap");
  if (!created && created.error().code != errc::conflict) {
    node_log().critical("cannot create the admin account: {}", created.error().message);
    return false;
  }
  node_log().info("admin account {} created", *email);
  return true;
}

/// Seeds the demo catalogue once: only into a journal without products.
bool seed_demo(const config& cfg, net::api::services& s) {
  persistence::pg::connection conn{cfg.pg.conninfo, "agora-seed"};
  if (!conn.ensure_connected()) {
    node_log().critical("demo seed: cannot connect to PostgreSQL");
    return false;
  }
  auto any = conn.exec("SELECT 1 FROM journal WHERE persistence_id LIKE 'product|%' LIMIT 1");
  if (!any) {
    node_log().critical("demo seed: {}", any.error().message);
    return false;
  }
  if (any.rows() > 0) {
    node_log().info("demo seed: the catalogue has products already; not seeding");
    return true;
  }
  auto products = demo::demo_catalogue();
  std::vector<std::future<bool>> done;
  done.reserve(products.size());
  for (auto& p : products) {
    auto promise = std::make_shared<std::promise<bool>>();
    done.push_back(promise->get_future());
    product::create cmd{p.sku,      p.name,     p.description,    p.price_cents,
                        p.currency, p.category, p.attributes_json};
    auto stock = p.initial_stock;
    auto inv = s.inventory;
    auto sku = p.sku;
    s.products.tell(p.sku, std::move(cmd), "demo-seed",
                    [promise, stock, inv, sku](result<product::state> r) {
                      if (!r) {
                        node_log().error("demo seed: {}: {}", sku, r.error().message);
                        return promise->set_value(false);
                      }
                      if (stock == 0)
                        return promise->set_value(true);
                      inv.tell(sku, inventory::adjust{stock, "demo seed", {}}, "demo-seed",
                               [promise](result<inventory::levels> lv) {
                                 promise->set_value(static_cast<bool>(lv));
                               });
                    });
  }
  size_t ok = 0;
  for (auto& f : done)
    ok += f.get() ? 1 : 0;
  node_log().info("demo seed: {} of {} products created", ok, products.size());
  return ok == products.size();
}

/// Hands every checkout that did not end to the runner, and wakes the
/// inventory entities that may hold reservations (their expiry timers are
/// re-armed on recovery, so a reservation whose saga is gone still expires).
/// Both reads start at the resume mark (persistence/pg/checkout_resume.hpp):
/// a reservation below it was taken by a checkout that has ended, which
/// committed or released it, or, closed by an operator, leaves it to expire
/// when its inventory entity next loads.
bool resume_unfinished(const config& cfg, net::api::services& s) {
  persistence::pg::connection conn{cfg.pg.conninfo, "agora-resume"};
  if (!conn.ensure_connected()) {
    node_log().critical("resume: cannot connect to PostgreSQL");
    return false;
  }
  auto scan = persistence::pg::scan_checkouts(conn);
  if (!scan) {
    node_log().critical("resume: {}", scan.error().message);
    return false;
  }
  for (const auto& id : scan->unfinished)
    s.runner.run(id);
  node_log().info("resume: {} checkout(s) read above offset {}, {} unfinished resumed",
                  scan->scanned, scan->mark_before, scan->unfinished.size());
  auto held = conn.exec_params(
    "SELECT DISTINCT substr(persistence_id, 11) FROM journal "
    "WHERE event_type = 'inventory.reserved' AND global_offset > $1 "
    "AND created_at > now() - make_interval(secs => $2)",
    {std::to_string(scan->mark_before), std::to_string(cfg.inventory.reservation_ttl_s + 60)});
  if (!held) {
    node_log().critical("resume: {}", held.error().message);
    return false;
  }
  for (int i = 0; i < held.rows(); ++i)
    s.inventory.tell(std::string(held.text(i, 0)), inventory::get{}, "resume", {});
  return true;
}

/// Moves the resume mark up every `interval`, on a connection of its own (a
/// scan after a busy minute probes tens of thousands of checkouts, which
/// must not hold up the order lists of the shared reader), so that the next
/// start-up reads only the checkouts since about then.
caf::actor spawn_resume_marker(caf::actor_system& sys, const std::string& conninfo,
                               std::chrono::seconds interval) {
  // The reader and interval travel as spawn arguments, not captures: CAF 0.17
  // dereferences a null argument tuple for a function actor spawned without.
  auto marker = [](caf::event_based_actor* self, persistence::pg::reader reader,
                   std::chrono::seconds interval) -> caf::behavior {
    self->link_to(reader.handle());
    self->delayed_send(self, interval, tick_atom_v);
    return {
      [self, reader, interval](tick_atom) {
        reader.run([](persistence::pg::connection* conn) {
          if (!conn)
            return;
          if (auto scan = persistence::pg::scan_checkouts(*conn); !scan)
            node_log().warn("resume mark: {}", scan.error().message);
        });
        self->delayed_send(self, interval, tick_atom_v);
      },
    };
  };
  return sys.spawn(marker, persistence::pg::spawn_reader(sys, conninfo), interval);
}

/// Drains a region: its entities finish their writes and stop.
void drain(caf::scoped_actor& self, const caf::actor& region) {
  self->request(region, 30s, stop_atom_v)
    .receive([](bool) {},
             [](caf::error& err) {
               node_log().warn("region drain: {}", caf::to_string(err));
             });
}

/// A scrape-time gauge with one series per entity type.
void register_per_type_gauge(std::string_view name, std::string_view help,
                             int64_t (*value)(std::string_view)) {
  metrics::register_callback(name, help, [value] {
    std::vector<std::pair<metrics::labels, double>> out;
    for (auto type : {"product", "inventory", "cart", "customer", "order", "payment", "checkout"})
      out.push_back({{{"type", type}}, static_cast<double>(value(type))});
    return out;
  });
}

void register_entity_metrics() {
  register_per_type_gauge("agora_entities_live",
                          "Live (not passivated) entities on this node, by type",
                          runtime::live_entities);
  register_per_type_gauge("agora_entity_mailbox_depth",
                          "Commands sent to entities of a type that no entity has taken yet "
                          "(region and entity mailboxes)",
                          runtime::queued_commands);
  metrics::register_callback("agora_checkouts_running",
                             "Checkout sagas being driven by this node",
                             [] {
                               return std::vector<std::pair<metrics::labels, double>>{
                                 {{}, static_cast<double>(sagas::running_checkouts())}};
                             });
  metrics::register_callback(
    "agora_checkouts_finished_total", "Checkout sagas this node drove to an end, by outcome", [] {
      std::vector<std::pair<metrics::labels, double>> out;
      for (auto st : {checkout::saga_status::completed, checkout::saga_status::compensated,
                      checkout::saga_status::stuck, checkout::saga_status::failed})
        out.push_back({{{"outcome", std::string(checkout::to_string(st))}},
                       static_cast<double>(sagas::finished_checkouts(st))});
      return out;
    });
}

/// The test hook checkout.crash_after_step: SIGKILL right after the step
/// is recorded as done, to prove that checkouts resume after a crash.
std::function<void(const checkout::state&, const checkout::action&)>
crash_hook(const config& cfg) {
  if (cfg.checkout.crash_after_step.empty())
    return {};
  node_log().warn("checkout.crash_after_step = {}: this node kills itself after that step",
                  cfg.checkout.crash_after_step);
  return [step = cfg.checkout.crash_after_step](const checkout::state& st,
                                                const checkout::action& a) {
    if (a.phase == checkout::phase::forward && checkout::to_string(a.step) == step &&
        st.at(a.step).status == checkout::step_status::done) {
      node_log().warn("checkout {}: {} recorded; crashing as configured", st.checkout_id, step);
      ::kill(::getpid(), SIGKILL);
    }
  };
}

} // namespace

int run(const config& cfg, const sigset_t& stop_signals) {
  if (!configure_logging(cfg.log.format, cfg.log.level)) {
    std::fprintf(stderr, "log: bad format or level\n");
    return 2;
  }
  if (cfg.pg.migrate && !migrate(cfg))
    return 1;

  runtime::system_config caf_cfg;
  auto threads = scheduler_threads(cfg, std::thread::hardware_concurrency());
  caf_cfg.set("scheduler.max-threads", static_cast<size_t>(threads));
  node_log().info("actor system: {} scheduler worker thread(s)", threads);
  caf_cfg.set("work-stealing.moderate-poll-attempts", static_cast<size_t>(cfg.node.idle_polls));
  caf_cfg.set("logger.console-verbosity", caf::atom("quiet"));
  caf_cfg.set("logger.file-verbosity", caf::atom("quiet"));
  runtime::use_lean_scheduler(caf_cfg);
  caf::actor_system sys{caf_cfg};
  int exit_code = 0;
  {
    auto journal = persistence::spawn_journal(sys, cfg);
    // Entities wait for every journal write's answer (no timeout of their
    // own): without the journal nothing can be written.
    runtime::on_lost(caf::actor_cast<caf::actor>(journal), "the journal",
                     [] { std::_Exit(70); });
    runtime::region_settings settings;
    settings.snapshot_every = cfg.entity.snapshot_every;
    settings.idle_timeout = std::chrono::seconds(cfg.entity.idle_timeout_s);
    settings.max_live = cfg.entity.max_live;

    catalogue::product_cache cache;
    inventory::stock_cache stock;
    net::api::services s;
    s.cfg = &cfg;
    s.actor_system = &sys;
    s.products =
      runtime::spawn_region<product::product_traits>(sys, journal, settings, cache.hook());
    s.inventory =
      runtime::spawn_region<inventory::inventory_traits>(sys, journal, settings, stock.hook());
    s.carts = runtime::spawn_region<cart::cart_traits>(sys, journal, settings);
    s.customers = runtime::spawn_region<customer::customer_traits>(sys, journal, settings);
    s.orders = runtime::spawn_region<order::order_traits>(sys, journal, settings);
    s.payments = runtime::spawn_region<payment::payment_traits>(sys, journal, settings);
    s.checkouts = runtime::spawn_region<checkout::checkout_traits>(sys, journal, settings);
    cache.attach(s.products);
    s.cache = &cache;
    s.stock = &stock;
    s.gateway = payment::spawn_durable_simulated_gateway(sys, cfg);
    s.runner = sagas::spawn_checkout_runner(
      sys, sagas::checkout_deps{s.checkouts, s.carts, s.inventory, s.orders, s.payments,
                                s.gateway, &cache, &cfg, crash_hook(cfg)});
    register_entity_metrics();

    auto projection = persistence::catalogue::spawn_catalogue_projection(sys, cfg);
    auto queries = persistence::catalogue::spawn_catalogue_queries(sys, cfg);
    auto probe = persistence::spawn_pg_probe(sys, cfg.pg.conninfo);
    s.catalogue = net::api::catalogue_client{sys, queries,
                                             std::chrono::milliseconds(cfg.http.request_timeout_ms)};
    net::api::read_cache reads{std::chrono::milliseconds(cfg.catalogue.read_cache_ms)};
    s.reads = &reads;
    s.readiness = [&sys, probe](std::function<void(bool, std::string)> done) {
      runtime::spawn_oneshot(sys, [probe, done](caf::event_based_actor* self) {
        self->request(probe, 2s, caf::ping_atom_v)
          .then(
            [done](bool up) { done(up, up ? "" : "PostgreSQL is unreachable"); },
            [done](caf::error&) { done(false, "PostgreSQL did not answer in time"); });
      });
    };

    auto tokens = std::make_shared<net::auth::token_service>(cfg.auth.jwt_secret, cfg.auth.issuer);
    net::auth::password_hasher hasher{static_cast<int>(cfg.auth.bcrypt_cost),
                                      static_cast<size_t>(cfg.auth.hash_threads)};
    net::auth::revocation_list revocations;
    auto revocation_store = persistence::spawn_revocation_store(sys, cfg.pg.conninfo);
    s.idempotency =
      persistence::spawn_idempotency_store(sys, cfg.pg.conninfo, cfg.pg.write_timeout_ms);
    s.reader = persistence::pg::spawn_reader(sys, cfg.pg.conninfo);
    bool revocations_loaded = true;
    if (auto stored = persistence::load_revocations(cfg.pg.conninfo)) {
      for (auto& [id, exp] : *stored)
        revocations.restore(id, exp);
    } else {
      node_log().critical("cannot load token revocations: {}", stored.error().message);
      revocations_loaded = false;
    }
    revocations.set_persist([&sys, revocation_store](const std::string& id, int64_t exp,
                                                     std::function<void(bool)> done) {
      runtime::spawn_oneshot(sys, [revocation_store, id, exp, done](caf::event_based_actor* self) {
        self->request(revocation_store, 5s, revoke_atom_v, id, exp)
          .then([done](bool) { done(true); }, [done](caf::error&) { done(false); });
      });
    });
    s.tokens = tokens.get();
    s.hasher = &hasher;
    s.revocations = &revocations;
    s.unknown_account_hash =
      net::auth::password_hasher::hash_blocking(new_uuid(), static_cast<int>(cfg.auth.bcrypt_cost))
        .value_or("");

    bool ready = revocations_loaded && bootstrap_admin(cfg, s) &&
                 (!cfg.catalogue.seed_demo || seed_demo(cfg, s)) && resume_unfinished(cfg, s);
    auto resume_marker = spawn_resume_marker(
      sys, cfg.pg.conninfo, std::chrono::seconds(cfg.checkout.resume_mark_interval_s));
    std::unique_ptr<net::http::http_server> server;
    if (ready) {
      net::http::router routes;
      net::api::add_routes(routes, s);
      server = std::make_unique<net::http::http_server>(std::move(routes), tokens);
      server->set_revocation_check([&revocations](const net::auth::principal& p) {
        return revocations.is_revoked(p.token_id);
      });
      try {
        auto port = server->start(cfg.http);
        node_log().info("node {} listening on http://{}:{}", cfg.node.id, cfg.http.host, port);
      } catch (const std::exception& e) {
        node_log().critical("http: cannot listen on {}:{}: {}", cfg.http.host, cfg.http.port,
                            e.what());
        server.reset();
        ready = false;
      }
    }
    if (ready) {
      int sig = 0;
      sigwait(&stop_signals, &sig);
      node_log().info("received {}: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      // Stop accepting, let in-flight requests finish.
      server->stop(std::chrono::milliseconds(cfg.http.shutdown_grace_ms));
    } else {
      exit_code = 1;
    }
    // Entities finish their journal writes, then the brokers stop.
    caf::scoped_actor self{sys};
    self->send_exit(s.runner.handle(), caf::exit_reason::user_shutdown);
    for (auto& region : {s.checkouts.handle(), s.orders.handle(), s.payments.handle(),
                         s.carts.handle(), s.inventory.handle(), s.products.handle(),
                         s.customers.handle()})
      drain(self, region);
    for (auto hdl : {caf::actor_cast<caf::actor>(projection), caf::actor_cast<caf::actor>(queries),
                     caf::actor_cast<caf::actor>(probe), caf::actor_cast<caf::actor>(revocation_store),
                     caf::actor_cast<caf::actor>(s.idempotency),
                     caf::actor_cast<caf::actor>(s.gateway), resume_marker, s.reader.handle(),
                     caf::actor_cast<caf::actor>(journal)})
      self->send_exit(hdl, caf::exit_reason::user_shutdown);
    node_log().info("stopped");
  }
  return exit_code;
}

} // namespace agora::node
