// An in-memory journal for deterministic actor tests only: it speaks the
// journal_actor protocol with the same conflict rule as PostgreSQL
// (unique persistence_id + seq_nr) and can be told to fail the next appends
// or recovery loads, or to hold appends unanswered until the test releases
// them.
// Integration and end-to-end tests use the real PostgreSQL journal.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "persistence/journal.hpp"

namespace agora::test {

/// Holds appends unanswered (see hold_appends): `commit` writes them,
/// `revoke` fails them with errc::unavailable, writing nothing.
using journal_gate_actor = caf::typed_actor<
  caf::replies_to<append_atom, persistence::append_request>::with<persistence::append_ack>,
  caf::reacts_to<commit_atom>, caf::reacts_to<revoke_atom>>;

struct memory_journal_data {
  std::map<std::string, std::vector<persistence::event_row>> streams;
  std::map<std::string, persistence::snapshot_row> snapshots;
  int64_t next_offset = 1;
  int appends = 0;
  int loads = 0;
  /// Fail this many upcoming appends with errc::unavailable.
  int fail_next_appends = 0;
  /// Fail this many upcoming recovery loads with errc::unavailable.
  int fail_next_loads = 0;
  /// Appends this returns true for go to `gate` (hold_appends), which keeps
  /// them unwritten and unanswered until it gets `commit` or `revoke`.
  std::function<bool(const persistence::append_request&)> hold;
  journal_gate_actor gate;
  /// Appends the gate holds now.
  int held = 0;
};

/// Writes `req` as PostgreSQL would: all rows or, on a taken seq_nr, none.
inline caf::expected<persistence::append_ack> append_rows(memory_journal_data& d,
                                                          persistence::append_request& req) {
  if (req.rows.empty())
    return caf::make_error(errc::internal);
  auto& stream = d.streams[req.rows.front().persistence_id];
  for (auto& row : req.rows)
    for (auto& existing : stream)
      if (existing.seq_nr == row.seq_nr)
        return caf::make_error(errc::concurrency_conflict);
  persistence::append_ack ack;
  for (auto& row : req.rows) {
    row.global_offset = d.next_offset++;
    stream.push_back(row);
    ack.last_seq_nr = row.seq_nr;
    ack.last_global_offset = row.global_offset;
  }
  return ack;
}

struct memory_journal_state {
  static inline const char* name = "memory_journal";
  std::shared_ptr<memory_journal_data> data;
};

inline persistence::journal_actor::behavior_type
memory_journal(persistence::journal_actor::stateful_pointer<memory_journal_state> self,
               std::shared_ptr<memory_journal_data> data) {
  self->state.data = std::move(data);
  return {
    [self](append_atom, persistence::append_request& req)
      -> caf::result<persistence::append_ack> {
      auto& d = *self->state.data;
      ++d.appends;
      if (d.fail_next_appends > 0) {
        --d.fail_next_appends;
        return caf::make_error(errc::unavailable);
      }
      if (d.hold && d.gate && d.hold(req))
        return self->delegate(d.gate, append_atom_v, std::move(req));
      auto ack = append_rows(d, req);
      if (!ack)
        return std::move(ack.error());
      return *ack;
    },
    [self](append_atom, persistence::append_request& req, persistence::append_notify& notify) {
      // The same path as a request (failures, the gate), answered through
      // the callback.
      auto me = caf::actor_cast<persistence::journal_actor>(self);
      self->request(me, caf::infinite, append_atom_v, std::move(req))
        .then([done = notify.done](persistence::append_ack& ack) { done(ack); },
              [done = notify.done](caf::error& err) { done(std::move(err)); });
    },
    [self](load_atom, const std::string& pid) -> caf::result<persistence::recovered> {
      auto& d = *self->state.data;
      ++d.loads;
      if (d.fail_next_loads > 0) {
        --d.fail_next_loads;
        return caf::make_error(errc::unavailable);
      }
      persistence::recovered rec;
      int64_t after = 0;
      if (auto i = d.snapshots.find(pid); i != d.snapshots.end()) {
        rec.snapshot = i->second;
        after = i->second.seq_nr;
      }
      for (auto& row : d.streams[pid])
        if (row.seq_nr > after)
          rec.events.push_back(row);
      return rec;
    },
    [self](snapshot_atom, persistence::snapshot_row& snap) {
      auto& d = *self->state.data;
      auto& slot = d.snapshots[snap.persistence_id];
      if (snap.seq_nr > slot.seq_nr)
        slot = std::move(snap);
    },
  };
}

struct journal_gate_state {
  static inline const char* name = "journal_gate";
  std::shared_ptr<memory_journal_data> data;
  std::vector<std::pair<caf::typed_response_promise<persistence::append_ack>,
                        persistence::append_request>>
    held;
};

/// Answers every held append: writes it, or fails it (`fail`) writing nothing.
inline void release(journal_gate_actor::stateful_pointer<journal_gate_state> self, bool fail) {
  auto& d = *self->state.data;
  auto held = std::move(self->state.held);
  self->state.held.clear();
  d.held = 0;
  for (auto& [promise, req] : held) {
    if (fail) {
      promise.deliver(caf::make_error(errc::unavailable));
      continue;
    }
    auto ack = append_rows(d, req);
    if (ack)
      promise.deliver(*ack);
    else
      promise.deliver(ack.error());
  }
}

inline journal_gate_actor::behavior_type
journal_gate(journal_gate_actor::stateful_pointer<journal_gate_state> self,
             std::shared_ptr<memory_journal_data> data) {
  self->state.data = std::move(data);
  return {
    [self](append_atom, persistence::append_request& req)
      -> caf::result<persistence::append_ack> {
      auto promise = self->make_response_promise<persistence::append_ack>();
      self->state.held.emplace_back(promise, std::move(req));
      ++self->state.data->held;
      return promise;
    },
    [self](commit_atom) { release(self, false); },
    [self](revoke_atom) { release(self, true); },
  };
}

/// From now on the appends `hold` returns true for wait in a gate until it
/// gets `commit` or `revoke`.
inline void hold_appends(caf::actor_system& sys, const std::shared_ptr<memory_journal_data>& data,
                         std::function<bool(const persistence::append_request&)> hold) {
  if (!data->gate)
    data->gate = sys.spawn(journal_gate, data);
  data->hold = std::move(hold);
}

} // namespace agora::test
