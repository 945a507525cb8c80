-- A read the API serves from the journal directly (no projection lag): a
-- customer's orders, newest first (GET /api/v1/orders). Checkouts by start
-- use journal_event_type_offset.
CREATE INDEX journal_orders_by_customer ON journal ((payload->>'customer_id'), global_offset)
  WHERE event_type = 'order.placed';
