// An in-memory journal for deterministic actor tests only: it speaks the
// journal_actor protocol with the same conflict rule as PostgreSQL
// (unique persistence_id + seq_nr) and can be told to fail the next appends
// or recovery loads.
// Integration and end-to-end tests use the real PostgreSQL journal.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "persistence/journal.hpp"

namespace agora::test {

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
};

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

} // namespace agora::test
