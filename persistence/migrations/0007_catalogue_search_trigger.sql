-- catalogue_products.search was a stored generated column, and PostgreSQL
-- recomputes those on every UPDATE of the row: each stock change (the
-- projection's most frequent write, several per checkout) ran to_tsvector
-- over the name and description again, about 80% of the cost of a stock
-- update. A trigger now computes it only when a row is inserted or its name
-- or description is written. The stored values stay as they are.
ALTER TABLE catalogue_products ALTER COLUMN search DROP EXPRESSION;

CREATE FUNCTION catalogue_products_search() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.search := setweight(to_tsvector('english', coalesce(NEW.name, '')), 'A') ||
                setweight(to_tsvector('english', coalesce(NEW.description, '')), 'B');
  RETURN NEW;
END
$$;

CREATE TRIGGER catalogue_products_search
  BEFORE INSERT OR UPDATE OF name, description ON catalogue_products
  FOR EACH ROW EXECUTE FUNCTION catalogue_products_search();
