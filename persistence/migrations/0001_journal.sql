-- The journal: every event of every entity, the source of truth and the
-- outbox. (persistence_id, seq_nr) is unique: optimistic concurrency.
CREATE TABLE journal (
  global_offset  bigserial PRIMARY KEY,
  persistence_id text        NOT NULL,
  seq_nr         bigint      NOT NULL CHECK (seq_nr > 0),
  event_type     text        NOT NULL,
  payload        jsonb       NOT NULL,
  correlation_id text        NOT NULL DEFAULT '',
  writer_epoch   bigint      NOT NULL DEFAULT 0,
  created_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (persistence_id, seq_nr)
);

CREATE INDEX journal_event_type_offset ON journal (event_type, global_offset);
CREATE INDEX journal_correlation ON journal (correlation_id) WHERE correlation_id <> '';

-- Offsets become visible in commit order (see persistence/README.md): every
-- statement that inserts into the journal first takes a transaction-level
-- advisory lock, held until COMMIT or ROLLBACK. The next inserting
-- transaction therefore draws its offsets from the sequence only after the
-- previous one is visible, and a tailer reading `global_offset > last` in
-- offset order never skips a row that becomes visible later.
CREATE FUNCTION journal_offsets_in_commit_order() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(4242000001);
  RETURN NULL;
END
$$;

CREATE TRIGGER journal_offsets_in_commit_order
  BEFORE INSERT ON journal
  FOR EACH STATEMENT EXECUTE FUNCTION journal_offsets_in_commit_order();

-- The newest snapshot of each entity (older ones are useless).
CREATE TABLE snapshots (
  persistence_id text        PRIMARY KEY,
  seq_nr         bigint      NOT NULL,
  state          jsonb       NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);
