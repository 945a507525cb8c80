-- Tokens revoked by logout, kept until they would have expired anyway, so a
-- restarted node (and, with clustering, every node) refuses them too.
CREATE TABLE revoked_tokens (
  token_id   text PRIMARY KEY,
  expires_at timestamptz NOT NULL
);
CREATE INDEX revoked_tokens_expiry ON revoked_tokens (expires_at);
