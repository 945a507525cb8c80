// The generic entity shell and shard region (template definitions). Include
// this only where a region is instantiated (runtime.cpp, tests); everybody
// else includes region.hpp.
//
// Entity lifecycle:
//
//   spawn --> recovering --(snapshot + events folded)--> serving --> stopped
//                ^   (commands are stashed)                 |
//                +------- write failed / conflict ----------+
//
// Write batching: a command is decided against the *pending* state (which
// includes events not yet durable). Its events join `queued_rows`; when no
// write is in flight they go to the journal at once, otherwise they wait for
// the in-flight write and then all go together. Each reply remembers the
// seq_nr its answer depends on and is released only when that seq_nr is
// durable, so no client ever sees a state that could still be lost.
//
// A fresh entity (region_ref::tell_new: the id is assumed unused) starts
// empty without reading the journal. Until its first write is durable it
// decides nothing else (later commands wait), and it keeps the command of
// that write: if the write conflicts, the id was used after all, and the
// entity recovers and decides that command again on the recovered state,
// so the caller gets an answer from the real state instead of an error.
#pragma once

#include <algorithm>
#include <atomic>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include <caf/all.hpp>

#include "actors/common/log.hpp"
#include "actors/common/metrics.hpp"
#include "actors/runtime/region.hpp"

namespace agora::runtime {

namespace detail {

/// A journal error as text: Agora's codes by name, CAF's as CAF renders them.
inline std::string describe(const caf::error& err) {
  if (err.category() == caf::atom("agora"))
    return std::string(agora::to_string(static_cast<errc>(err.code())));
  return caf::to_string(err);
}

/// The journal refused an append because its seq_nr was taken.
inline bool is_conflict(const caf::error& err) {
  return err.category() == caf::atom("agora") &&
         err.code() == static_cast<uint8_t>(errc::concurrency_conflict);
}

/// Live entity counters by type name.
std::atomic<int64_t>& live_counter(std::string_view type);

/// Envelopes sent to a type's region and not yet taken by an entity (the
/// queue depth of region and entity mailboxes together).
std::atomic<int64_t>& queued_counter(std::string_view type);

template <class Traits>
struct pending_reply {
  int64_t depends_on = 0;
  reply_fn<Traits> fn;
  result<view_t<Traits>> value;
};

template <class Traits>
struct entity_state {
  static inline const char* name = "entity";

  std::string id;
  std::string pid;
  persistence::journal_actor journal;
  /// Weak: the region holds its entities strongly, not the other way round.
  caf::actor_addr region;
  region_settings settings;
  change_hook<Traits> on_change;

  typename Traits::state st{};
  /// seq_nr of the last event folded into `st` (durable or not).
  int64_t seq = 0;
  /// seq_nr of the last event known to be durable.
  int64_t durable_seq = 0;
  int64_t last_snapshot_seq = 0;
  /// Size of the newest snapshot (written or recovered from; 0 when none),
  /// and the event payload bytes journaled after it (maybe_snapshot).
  size_t last_snapshot_bytes = 0;
  size_t bytes_since_snapshot = 0;

  bool recovering = true;
  /// Told as new and nothing decided yet: the state is assumed empty.
  bool fresh = false;
  /// The command of a fresh entity's first write, until that is durable.
  std::optional<envelope<Traits>> unconfirmed;
  bool writing = false;
  bool stopping = false;
  std::vector<persistence::event_row> queued_rows;
  std::deque<pending_reply<Traits>> replies;
  std::vector<envelope<Traits>> stash;

  timestamp_us last_active = 0;
  std::optional<timestamp_us> armed_deadline;
};

template <class Traits>
using entity_actor = caf::stateful_actor<entity_state<Traits>>;

constexpr size_t max_stash = 10000;

template <class Traits>
void process(entity_actor<Traits>* self, envelope<Traits>& env);

template <class Traits>
void process_stash(entity_actor<Traits>* self);

template <class Traits>
void recover(entity_actor<Traits>* self);

template <class Traits>
void deliver_durable(entity_actor<Traits>* self) {
  auto& s = self->state;
  while (!s.replies.empty() && s.replies.front().depends_on <= s.durable_seq) {
    auto r = std::move(s.replies.front());
    s.replies.pop_front();
    if (r.fn)
      r.fn(std::move(r.value));
  }
}

template <class Traits>
void fail_all(entity_actor<Traits>* self, const problem& p) {
  auto& s = self->state;
  auto replies = std::move(s.replies);
  s.replies.clear();
  for (auto& r : replies)
    if (r.fn)
      r.fn(p);
  auto stash = std::move(s.stash);
  s.stash.clear();
  for (auto& env : stash)
    if (env.reply)
      env.reply(p);
}

/// Arms the timer for the state's next deadline, unless one is pending for
/// that deadline or an earlier one: a timer that fires before the deadline
/// it finds then (the earlier one was resolved meanwhile) arms for it. So a
/// deadline that moves later schedules nothing. Inventory's does on every
/// commit of its earliest reservation, and arming each time left one clock
/// event per commit pending for the whole reservation TTL.
template <class Traits>
void arm_deadline(entity_actor<Traits>* self) {
  if constexpr (has_deadlines<Traits>) {
    auto& s = self->state;
    auto next = Traits::next_deadline(s.st);
    if (!next || (s.armed_deadline && *s.armed_deadline <= *next))
      return;
    s.armed_deadline = next;
    auto delay = std::max<int64_t>(0, *next - now_us());
    self->delayed_send(self, std::chrono::microseconds(delay), deadline_atom_v, *next);
  }
}

/// A timer is armed and the state still has a deadline.
template <class Traits>
bool deadline_ahead(entity_actor<Traits>* self) {
  if constexpr (has_deadlines<Traits>)
    return self->state.armed_deadline && Traits::next_deadline(self->state.st).has_value();
  else
    return false;
}

/// Writes a snapshot once nothing is pending, at least snapshot_every events
/// have been journaled since the last one, and those events' payloads hold at
/// least as many bytes as it did. The second rule is for states much larger
/// than their events (an inventory item remembers 20,000 finished
/// reservation ids, a snapshot of 1.1 MB): snapshots then cost at most what
/// the journal itself does, and recovery reads at most twice a snapshot's size.
template <class Traits>
void maybe_snapshot(entity_actor<Traits>* self) {
  auto& s = self->state;
  if (s.settings.snapshot_every <= 0 || s.seq != s.durable_seq)
    return;
  if (s.durable_seq - s.last_snapshot_seq < s.settings.snapshot_every ||
      s.bytes_since_snapshot < s.last_snapshot_bytes)
    return;
  auto text = Traits::encode_state(s.st);
  s.last_snapshot_seq = s.durable_seq;
  s.last_snapshot_bytes = text.size();
  s.bytes_since_snapshot = 0;
  self->send(s.journal, snapshot_atom_v,
             persistence::snapshot_row{s.pid, s.durable_seq, std::move(text)});
}

template <class Traits>
void on_durable_change(entity_actor<Traits>* self) {
  auto& s = self->state;
  if (s.on_change && s.seq == s.durable_seq)
    s.on_change(s.id, &s.st);
}

/// Quits when a stop was requested and nothing is left to persist.
template <class Traits>
void maybe_finish_stop(entity_actor<Traits>* self) {
  auto& s = self->state;
  if (s.stopping && !s.recovering && !s.writing && s.queued_rows.empty())
    self->quit();
}

template <class Traits>
void flush(entity_actor<Traits>* self) {
  auto& s = self->state;
  if (s.writing || s.queued_rows.empty())
    return;
  s.writing = true;
  persistence::append_request req{std::move(s.queued_rows)};
  s.queued_rows.clear();
  for (const auto& row : req.rows)
    s.bytes_since_snapshot += row.payload.size();
  // No CAF timeout on the write: each one cost two events on CAF's clock
  // thread and a wake-up of it per durable write (about 11% of a node's CPU
  // under add-item load). The journal always answers: its connections bound
  // every statement and a dead server (persistence/pg/connection.hpp), and
  // the node stops if the journal actor itself dies (agora-node).
  self->request(s.journal, caf::infinite, append_atom_v, std::move(req))
    .then(
      [self](persistence::append_ack& ack) {
        auto& s = self->state;
        s.writing = false;
        s.durable_seq = ack.last_seq_nr;
        on_durable_change(self);
        deliver_durable(self);
        maybe_snapshot(self);
        arm_deadline(self);
        if (s.unconfirmed) {
          s.unconfirmed.reset();
          process_stash(self);
        }
        if (!s.queued_rows.empty())
          flush(self);
        else
          maybe_finish_stop(self);
      },
      [self](caf::error& err) {
        auto& s = self->state;
        s.writing = false;
        s.queued_rows.clear();
        auto first = std::move(s.unconfirmed);
        s.unconfirmed.reset();
        if (first && !s.stopping && is_conflict(err)) {
          // A fresh id that was used after all: its command is decided again
          // on the recovered state (its reply is the only one pending).
          s.replies.clear();
          s.stash.insert(s.stash.begin(), std::move(*first));
          recover(self);
          return;
        }
        actors_log().warn("{}: journal write failed ({}); recovering from the journal", s.pid,
                          describe(err));
        fail_all(self, make_problem(errc::unavailable,
                                    "the journal did not accept the write; retry the request"));
        if (s.stopping) {
          self->quit();
          return;
        }
        recover(self);
      });
}

/// Applies decided events to `st` and appends the journal rows of those
/// that are not ephemeral to `rows`, numbered after `seq` (advanced).
template <class Traits>
void apply_decided(typename Traits::state& st, int64_t& seq,
                   const std::vector<typename Traits::event>& events, const std::string& pid,
                   const std::string& correlation_id, std::vector<persistence::event_row>& rows) {
  for (const auto& ev : events) {
    st = Traits::apply_event(std::move(st), ev);
    if constexpr (has_ephemeral_events<Traits>)
      if (Traits::ephemeral(ev))
        continue;
    rows.push_back(persistence::event_row{pid, ++seq, std::string(Traits::event_type(ev)),
                                          Traits::encode_event(ev), correlation_id, 0, 0});
  }
}

template <class Traits>
void process(entity_actor<Traits>* self, envelope<Traits>& env) {
  auto& s = self->state;
  s.last_active = now_us();
  context ctx{s.last_active, s.id, env.correlation_id};
  auto decided = Traits::decide(s.st, env.cmd, ctx);
  bool was_durable = s.seq == s.durable_seq;
  if (!decided) {
    s.replies.push_back({s.seq, std::move(env.reply), std::move(decided).error()});
  } else {
    auto seq_before = s.seq;
    apply_decided<Traits>(s.st, s.seq, *decided, s.pid, env.correlation_id, s.queued_rows);
    if (s.fresh && s.seq != seq_before) { // the first write (ephemeral events write nothing)
      s.fresh = false;
      s.unconfirmed = env; // before the reply moves out of it
    }
    if (env.reply)
      s.replies.push_back({s.seq, std::move(env.reply), make_view<Traits>(s.st)});
  }
  if (was_durable && s.seq != s.durable_seq && s.on_change)
    s.on_change(s.id, nullptr);
  deliver_durable(self);
  flush(self);
}

/// Decides the commands that waited (for a recovery or a fresh entity's
/// first write), in order; those after a new fresh first write wait again.
template <class Traits>
void process_stash(entity_actor<Traits>* self) {
  auto& s = self->state;
  auto stash = std::move(s.stash);
  s.stash.clear();
  for (auto& env : stash) {
    if (s.recovering || s.unconfirmed)
      s.stash.push_back(std::move(env));
    else
      process(self, env);
  }
}

template <class Traits>
void recover(entity_actor<Traits>* self) {
  auto& s = self->state;
  s.recovering = true;
  s.st = typename Traits::state{};
  s.seq = s.durable_seq = s.last_snapshot_seq = 0;
  s.last_snapshot_bytes = s.bytes_since_snapshot = 0;
  s.armed_deadline.reset();
  // The journal bounds its reads (pg.read_timeout_ms): no CAF timeout here.
  self->request(s.journal, caf::infinite, load_atom_v, s.pid)
    .then(
      [self](persistence::recovered& rec) {
        auto& s = self->state;
        auto corrupt = [&](const std::string& what) {
          actors_log().error("{}: cannot recover: {}", s.pid, what);
          fail_all(self, make_problem(errc::unavailable, "entity cannot be recovered"));
          self->quit(caf::make_error(errc::internal));
        };
        if (rec.snapshot) {
          auto st = Traits::decode_state(rec.snapshot->state);
          if (!st)
            return corrupt("undecodable snapshot at seq_nr " +
                           std::to_string(rec.snapshot->seq_nr));
          s.st = std::move(*st);
          s.seq = s.last_snapshot_seq = rec.snapshot->seq_nr;
          s.last_snapshot_bytes = rec.snapshot->state.size();
        }
        for (auto& row : rec.events) {
          auto ev = Traits::decode_event(row.event_type, row.payload);
          if (!ev)
            return corrupt("undecodable event " + row.event_type + " at seq_nr " +
                           std::to_string(row.seq_nr));
          s.st = Traits::apply_event(std::move(s.st), *ev);
          s.seq = row.seq_nr;
          s.bytes_since_snapshot += row.payload.size();
        }
        s.durable_seq = s.seq;
        s.recovering = false;
        on_durable_change(self);
        arm_deadline(self);
        process_stash(self);
        maybe_finish_stop(self);
      },
      [self](caf::error& err) {
        auto& s = self->state;
        actors_log().warn("{}: recovery failed ({}); retrying", s.pid, describe(err));
        fail_all(self, make_problem(errc::unavailable, "the journal is unavailable"));
        if (s.stopping) {
          self->quit();
          return;
        }
        self->delayed_send(self, std::chrono::milliseconds(500), load_atom_v);
      });
}

template <class Traits>
caf::behavior entity_impl(entity_actor<Traits>* self, std::string id,
                          persistence::journal_actor journal, caf::actor_addr region,
                          region_settings settings, change_hook<Traits> on_change, bool fresh) {
  auto& s = self->state;
  s.id = std::move(id);
  s.pid = persistence_id(Traits::type, s.id);
  s.journal = std::move(journal);
  s.region = std::move(region);
  s.settings = settings;
  s.on_change = std::move(on_change);
  s.last_active = now_us();
  ++live_counter(Traits::type);
  self->attach_functor([type = Traits::type] { --live_counter(type); });
  if (fresh) {
    s.recovering = false; // a new id: nothing to read (a conflict recovers)
    s.fresh = true;
  } else {
    recover(self);
  }
  return {
    [self](envelope<Traits>& env) {
      --queued_counter(Traits::type);
      auto& s = self->state;
      if (s.recovering || s.unconfirmed) {
        if (s.stash.size() >= max_stash) {
          if (env.reply)
            env.reply(make_problem(errc::unavailable, "entity is recovering; retry shortly"));
          return;
        }
        s.stash.push_back(std::move(env));
        return;
      }
      process(self, env);
    },
    [self](load_atom) {
      // Retry of a failed recovery.
      if (self->state.recovering)
        recover(self);
    },
    [self](deadline_atom, timestamp_us when) {
      if constexpr (has_deadlines<Traits>) {
        auto& s = self->state;
        if (!s.armed_deadline || *s.armed_deadline != when)
          return; // superseded
        s.armed_deadline.reset();
        if (s.recovering)
          return; // recovery re-arms
        auto next = Traits::next_deadline(s.st);
        auto now = now_us();
        if (next && *next <= now) {
          envelope<Traits> env{s.id, Traits::on_deadline(now), "deadline:" + s.id, {}};
          process(self, env);
        }
        // Early (the deadline moved later) or done: wait for the next one.
        arm_deadline(self);
      } else {
        static_cast<void>(when);
      }
    },
    [self](stop_atom) {
      // Quit once recovery, stashed commands and writes are done.
      self->state.stopping = true;
      maybe_finish_stop(self);
    },
    // The region's idle sweep asks an entity it has not routed a message to
    // for entity.idle_timeout whether it may stop (no CAF receive timeout:
    // re-arming one after every message cost a clock event each).
    [self](passivate_atom) {
      auto& s = self->state;
      bool busy = s.recovering || s.writing || !s.queued_rows.empty() || !s.replies.empty();
      // An entity with a deadline ahead stays live so its timer fires (a
      // timer armed for a deadline resolved since does not hold it).
      if (busy || deadline_ahead(self) || s.stopping)
        return;
      if (auto region = caf::actor_cast<caf::actor>(s.region))
        self->send(region, passivate_atom_v, s.id);
    },
  };
}

// -- the region ---------------------------------------------------------------

template <class Traits>
struct region_entry {
  caf::actor actor;
  std::list<std::string>::iterator lru_pos;
  /// When the region last routed a message to it (or asked it to stop).
  caf::actor_clock::time_point last_used;
  bool stopping = false;
  std::vector<envelope<Traits>> buffer;
};

template <class Traits>
struct region_state {
  static inline const char* name = "region";
  persistence::journal_actor journal;
  region_settings settings;
  change_hook<Traits> on_change;
  std::unordered_map<std::string, region_entry<Traits>> entities;
  std::unordered_map<caf::actor_addr, std::string> by_addr;
  /// Most recently used first.
  std::list<std::string> lru;
  /// True while a sweep message is on its way (only while entities live).
  bool sweep_armed = false;
  /// Set by a drain request: stop everything, answer when all are gone.
  std::optional<caf::response_promise> drained;
  /// record_new appends waiting for the journal (a drain waits for them).
  int64_t recording = 0;
};

template <class Traits>
using region_actor = caf::stateful_actor<region_state<Traits>>;

/// How often the region looks for idle entities: a quarter of the idle
/// timeout (so one stops between 1 and 1.25 idle timeouts after its last
/// message), between 1 ms and 30 s.
inline caf::timespan sweep_interval(const region_settings& settings) {
  auto quarter = std::chrono::duration_cast<caf::timespan>(settings.idle_timeout) / 4;
  return std::clamp<caf::timespan>(quarter, std::chrono::milliseconds(1),
                                   std::chrono::seconds(30));
}

template <class Traits>
void arm_sweep(region_actor<Traits>* self) {
  auto& s = self->state;
  if (s.sweep_armed)
    return;
  s.sweep_armed = true;
  self->delayed_send(self, sweep_interval(s.settings), tick_atom_v);
}

/// Asks every entity idle for the timeout whether it may stop (it declines
/// while busy or with a timer pending, and is asked again a timeout later).
/// The least recently used are at the back of the LRU list.
template <class Traits>
void sweep(region_actor<Traits>* self) {
  auto& s = self->state;
  s.sweep_armed = false;
  auto now = self->clock().now();
  std::vector<std::string> idle;
  for (auto i = s.lru.rbegin(); i != s.lru.rend(); ++i) {
    auto& e = s.entities[*i];
    if (now - e.last_used < s.settings.idle_timeout)
      break;
    idle.push_back(*i);
  }
  for (const auto& id : idle) {
    auto& e = s.entities[id];
    s.lru.splice(s.lru.begin(), s.lru, e.lru_pos);
    e.last_used = now;
    if (!e.stopping)
      self->send(e.actor, passivate_atom_v);
  }
  if (!s.entities.empty() && !s.drained)
    arm_sweep(self);
}

template <class Traits>
region_entry<Traits>& spawn_entity(region_actor<Traits>* self, const std::string& id,
                                   bool fresh = false) {
  auto& s = self->state;
  auto hdl = self->spawn(entity_impl<Traits>, id, s.journal, self->address(), s.settings,
                         s.on_change, fresh);
  self->monitor(hdl);
  s.by_addr.emplace(hdl.address(), id);
  s.lru.push_front(id);
  auto& e = s.entities[id];
  e.actor = hdl;
  e.lru_pos = s.lru.begin();
  e.last_used = self->clock().now();
  e.stopping = false;
  arm_sweep(self);
  return e;
}

template <class Traits>
void request_stop(region_actor<Traits>* self, region_entry<Traits>& e) {
  if (e.stopping)
    return;
  e.stopping = true;
  self->send(e.actor, stop_atom_v);
}

template <class Traits>
void enforce_cap(region_actor<Traits>* self) {
  auto& s = self->state;
  // Count only entities not already on their way out.
  auto live = static_cast<int64_t>(s.entities.size());
  for (auto i = s.lru.rbegin(); i != s.lru.rend() && live > s.settings.max_live; ++i) {
    auto& e = s.entities[*i];
    if (!e.stopping) {
      request_stop(self, e);
    }
    --live;
  }
}

/// Ends a drain once no entity lives and no record is being written.
template <class Traits>
void maybe_drained(region_actor<Traits>* self) {
  auto& s = self->state;
  if (s.drained && s.entities.empty() && s.recording == 0) {
    s.drained->deliver(true);
    self->quit();
  }
}

template <class Traits>
caf::behavior region_impl(region_actor<Traits>* self, persistence::journal_actor journal,
                          region_settings settings, change_hook<Traits> on_change) {
  auto& s = self->state;
  s.journal = std::move(journal);
  s.settings = settings;
  s.on_change = std::move(on_change);
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& s = self->state;
    auto i = s.by_addr.find(dm.source);
    if (i == s.by_addr.end())
      return;
    auto id = std::move(i->second);
    s.by_addr.erase(i);
    auto j = s.entities.find(id);
    if (j == s.entities.end())
      return;
    auto buffer = std::move(j->second.buffer);
    s.lru.erase(j->second.lru_pos);
    s.entities.erase(j);
    if (s.drained) {
      queued_counter(Traits::type) -= static_cast<int64_t>(buffer.size());
      for (auto& env : buffer)
        if (env.reply)
          env.reply(make_problem(errc::unavailable, "the node is shutting down"));
      maybe_drained(self);
      return;
    }
    if (!buffer.empty()) {
      auto& e = spawn_entity(self, id);
      for (auto& env : buffer)
        self->send(e.actor, std::move(env));
      enforce_cap(self);
    }
  });
  return {
    [self](envelope<Traits>& env) {
      auto& s = self->state;
      if (s.drained) {
        --queued_counter(Traits::type);
        if (env.reply)
          env.reply(make_problem(errc::unavailable, "the node is shutting down"));
        return;
      }
      auto i = s.entities.find(env.id);
      if (i == s.entities.end()) {
        auto& e = spawn_entity(self, env.id, env.fresh);
        self->send(e.actor, std::move(env));
        enforce_cap(self);
        return;
      }
      auto& e = i->second;
      if (e.stopping) {
        e.buffer.push_back(std::move(env));
        return;
      }
      s.lru.splice(s.lru.begin(), s.lru, e.lru_pos);
      e.last_used = self->clock().now();
      self->send(e.actor, std::move(env));
    },
    [self](record_request<Traits>& rec) {
      auto& s = self->state;
      if (s.drained) {
        if (rec.reply)
          rec.reply(make_problem(errc::unavailable, "the node is shutting down"));
        return;
      }
      ++s.recording;
      auto rows = std::move(rec.rows);
      auto held = std::make_shared<record_request<Traits>>(std::move(rec));
      // A flash sale has thousands of records in flight here: their outcomes
      // come back as messages (append_notify), not as responses, which CAF
      // would search for and erase one by one among all those pending.
      persistence::append_notify notify{
        [region = self->address(), held](caf::expected<persistence::append_ack> r) {
          record_done<Traits> done{held, std::nullopt};
          if (!r)
            done.failure = std::move(r.error());
          if (auto hdl = caf::actor_cast<caf::actor>(region))
            caf::anon_send(hdl, std::move(done));
        }};
      self->send(s.journal, append_atom_v, persistence::append_request{std::move(rows)},
                 std::move(notify));
    },
    [self](record_done<Traits>& done) {
      auto& s = self->state;
      --s.recording;
      auto& rec = *done.rec;
      if (!done.failure) {
        // As an entity does: the hook sees the durable state before the reply.
        if (s.on_change)
          s.on_change(rec.id, &rec.state);
        if (rec.reply)
          rec.reply(make_view<Traits>(std::move(rec.state)));
      } else {
        bool conflict = is_conflict(*done.failure);
        if (!conflict)
          actors_log().warn("{}: a new entity's record was not journaled ({})", Traits::type,
                            describe(*done.failure));
        if (rec.reply)
          rec.reply(conflict ? make_problem(errc::concurrency_conflict,
                                            "the entity exists already")
                             : make_problem(errc::unavailable, "the journal did not accept "
                                                               "the write; retry the request"));
      }
      maybe_drained(self);
    },
    [self](tick_atom) { sweep(self); },
    [self](passivate_atom, const std::string& id) {
      auto& s = self->state;
      auto i = s.entities.find(id);
      if (i != s.entities.end())
        request_stop(self, i->second);
    },
    [self](stop_atom) -> caf::result<bool> {
      // Drain: every entity finishes its writes and stops; then the region quits.
      auto& s = self->state;
      if (s.entities.empty() && s.recording == 0) {
        self->quit();
        return true;
      }
      s.drained = self->make_response_promise();
      for (auto& [id, e] : s.entities)
        request_stop(self, e);
      return *s.drained;
    },
  };
}

} // namespace detail

template <class Traits>
void region_ref<Traits>::tell(std::string id, typename Traits::command cmd,
                              std::string correlation_id, reply_fn<Traits> reply) const {
  ++detail::queued_counter(Traits::type);
  caf::anon_send(region_,
                 envelope<Traits>{std::move(id), std::move(cmd), std::move(correlation_id),
                                  std::move(reply)});
}

template <class Traits>
void region_ref<Traits>::tell_new(std::string id, typename Traits::command cmd,
                                  std::string correlation_id, reply_fn<Traits> reply) const {
  ++detail::queued_counter(Traits::type);
  envelope<Traits> env{std::move(id), std::move(cmd), std::move(correlation_id),
                       std::move(reply)};
  env.fresh = true;
  caf::anon_send(region_, std::move(env));
}

template <class Traits>
void region_ref<Traits>::record_new(std::string id, typename Traits::command cmd,
                                    std::string correlation_id, reply_fn<Traits> reply) const
  requires(!has_deadlines<Traits>)
{
  typename Traits::state st{};
  auto decided = Traits::decide(st, cmd, context{now_us(), id, correlation_id});
  if (!decided) {
    if (reply)
      reply(std::move(decided).error());
    return;
  }
  record_request<Traits> rec;
  int64_t seq = 0;
  detail::apply_decided<Traits>(st, seq, *decided, persistence_id(Traits::type, id),
                                correlation_id, rec.rows);
  if (rec.rows.empty()) {
    if (reply)
      reply(make_view<Traits>(std::move(st)));
    return;
  }
  rec.id = std::move(id);
  rec.state = std::move(st);
  rec.reply = std::move(reply);
  caf::anon_send(region_, std::move(rec));
}

template <class Traits>
region_ref<Traits> spawn_region(caf::actor_system& sys, persistence::journal_actor journal,
                                region_settings settings, change_hook<Traits> on_change) {
  return region_ref<Traits>{sys.spawn(detail::region_impl<Traits>, std::move(journal), settings,
                                      std::move(on_change))};
}

} // namespace agora::runtime
