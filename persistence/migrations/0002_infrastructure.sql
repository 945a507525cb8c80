-- Cluster and consumer bookkeeping: shard leases (fenced single writer),
-- projection / relay offsets, and HTTP idempotency records.
CREATE TABLE shard_leases (
  shard      int         PRIMARY KEY,
  owner      text        NOT NULL,
  epoch      bigint      NOT NULL DEFAULT 0,
  expires_at timestamptz NOT NULL
);

-- Consumers of the journal store the last offset they processed here, in
-- the same transaction as their own updates (exactly once).
CREATE TABLE projection_offsets (
  name        text   PRIMARY KEY,
  last_offset bigint NOT NULL DEFAULT 0
);

CREATE TABLE idempotency_keys (
  scope        text        NOT NULL,
  key          text        NOT NULL,
  request_hash text        NOT NULL,
  status       int         NOT NULL DEFAULT 0,
  response     jsonb,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, key)
);

CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
