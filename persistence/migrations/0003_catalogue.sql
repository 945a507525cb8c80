-- The catalogue read model, fed from product.* and inventory.* events by the
-- catalogue projection. Rows may exist before their product (inventory
-- events first): such rows have listed = false and no product fields.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE catalogue_products (
  sku         text        PRIMARY KEY,
  name        text,
  description text,
  price_cents bigint,
  currency    text,
  category    text,
  attributes  jsonb       NOT NULL DEFAULT '{}',
  listed      boolean     NOT NULL DEFAULT false,
  on_hand     bigint      NOT NULL DEFAULT 0,
  reserved    bigint      NOT NULL DEFAULT 0,
  version     bigint      NOT NULL DEFAULT 0,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  search      tsvector GENERATED ALWAYS AS (
                setweight(to_tsvector('english', coalesce(name, '')), 'A') ||
                setweight(to_tsvector('english', coalesce(description, '')), 'B')) STORED
);

CREATE INDEX catalogue_products_category ON catalogue_products (category, sku) WHERE listed;
CREATE INDEX catalogue_products_price ON catalogue_products (price_cents, sku) WHERE listed;
CREATE INDEX catalogue_products_name ON catalogue_products (lower(name), name, sku) WHERE listed;
CREATE INDEX catalogue_products_search ON catalogue_products USING gin (search);
-- Prefix suggestions: a trigram index narrows `lower(name) LIKE '%prefix%'`
-- before the word-start check.
CREATE INDEX catalogue_products_name_trgm ON catalogue_products
  USING gin (lower(name) gin_trgm_ops) WHERE listed;
