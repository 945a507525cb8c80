-- The simulated payment gateway's ledger. A real gateway keeps its own
-- records outside Agora; the simulator keeps them here so that they survive
-- a crash of the node it runs in, as a real provider's would: a retried
-- request with the same idempotency key is answered from this table, never
-- charged again. One row per decided idempotency key, in decision order.
CREATE TABLE gateway_ledger (
  seq             bigserial PRIMARY KEY,
  idempotency_key text        NOT NULL UNIQUE,
  operation       text        NOT NULL,
  payment_id      text        NOT NULL,
  amount_cents    bigint      NOT NULL,
  -- authorize: currency and card token; capture/void: the authorization
  -- reference; refund: the capture reference.
  currency        text        NOT NULL DEFAULT '',
  token           text        NOT NULL DEFAULT '',
  target_ref      text        NOT NULL DEFAULT '',
  outcome         text        NOT NULL,
  gateway_ref     text        NOT NULL,
  reason          text        NOT NULL DEFAULT '',
  decided_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX gateway_ledger_payment ON gateway_ledger (payment_id, seq);
