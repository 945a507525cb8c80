-- The journal's lookups by event type and by correlation id leave out the
-- events no read finds that way: a cart's line edits, which requests write
-- (their correlation id is the request's id), and a saga's step records,
-- read by persistence id. They are most of a shop's journal, and each index
-- entry costs every insert: the two full indexes were about 17% of the
-- journal insert's execution time with cart events (see docs/PERFORMANCE.md).
--
-- A read by correlation id states the same exclusion (journal_correlated_sql
-- in persistence/journal.hpp) so that PostgreSQL can prove the index covers
-- it; a read of one event type outside the list is covered as it is.
-- Rebuilding the indexes blocks journal writes while it runs.
DROP INDEX journal_event_type_offset;
DROP INDEX journal_correlation;

CREATE INDEX journal_event_type_offset ON journal (event_type, global_offset)
  WHERE event_type NOT IN ('cart.created', 'cart.currency_set', 'cart.item_added',
                           'cart.quantity_set', 'cart.item_removed', 'checkout.step_attempted');

CREATE INDEX journal_correlation ON journal (correlation_id)
  WHERE correlation_id <> ''
    AND event_type NOT IN ('cart.created', 'cart.currency_set', 'cart.item_added',
                           'cart.quantity_set', 'cart.item_removed', 'checkout.step_attempted');
