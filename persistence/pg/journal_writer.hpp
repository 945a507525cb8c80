// The journal writer: group commit of the appends of many entities.
//
//   entities --append/snapshot--> collector (CAF scheduler, never blocks)
//                                    | one batch per idle committer
//                                    v
//                                 committers (detached, one PGconn each):
//                                   one INSERT ... unnest(...) per batch
//                  snapshots ---> snapshot writer (detached, its own PGconn):
//                                   upserts of what it holds, newest per entity
//
// Every append that arrives while a commit is in flight waits for the next
// batch, so batch size grows with load and throughput scales with it rather
// than with the number of entities. Replies go out after the commit returned.
// A unique violation makes the committer retry the batch with one SAVEPOINT
// per append, so only the conflicting appends fail (errc::concurrency_conflict).
// Snapshots stay out of the appends' commits: a large one (an inventory
// item's is 1.1 MB, about 30 ms of PostgreSQL) would hold up its whole batch.
#pragma once

#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "persistence/journal.hpp"
#include "persistence/pg/pg_array.hpp"

namespace agora {
struct config;
} // namespace agora

namespace agora::persistence {

/// Spawns the journal: the write collector with `cfg.pg.writers` committers
/// (batches of at most `cfg.pg.max_batch` events), a snapshot writer, and,
/// for `load`, a journal reader (see journal_reader.hpp) with
/// `cfg.pg.readers` connections. The returned handle serves the whole
/// journal_actor interface. Connections are opened lazily and re-opened with
/// backoff after failures; while the database is unreachable, appends and
/// loads fail fast with errc::unavailable (snapshots are dropped). Stop it
/// with an exit message: the committers, the snapshot writer and the reader
/// are linked to it.
journal_actor spawn_journal(caf::actor_system& sys, const agora::config& cfg);

// -- batch encoding (pure; used by the writers, measured by bench/) ------------

/// The parameters $1..$5 of the journal insert (`INSERT ... SELECT * FROM
/// unnest($1::text[], $2::bigint[], $3::text[], $4::jsonb[], $5::text[])`):
/// one binary-format array per column (sent with pg::param_format::binary),
/// rows in the order they were added.
struct journal_insert_params {
  pg::binary_array_builder ids{pg::text_oid}, seqs{pg::int8_oid}, types{pg::text_oid},
    payloads{pg::jsonb_oid}, correlations{pg::text_oid};

  void add(const event_row& row);
  /// Persistence ids, seq_nrs, event types, payloads, correlation ids.
  std::vector<std::string> finish();
};

/// The parameters $1..$3 of the snapshot upsert (persistence ids, seq_nrs,
/// states), binary-format arrays like the insert's.
std::vector<std::string> snapshot_params(const std::vector<snapshot_row>& snaps);

} // namespace agora::persistence
