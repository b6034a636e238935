-- Keep the public list fast with 100,000+ events. The public only ever sees published
-- events, so the indexes are partial: they hold just the rows that list can return.
-- Measured with bench/event-list-100k.sql (figures in its header).

-- Substring search on title and venue (ILIKE '%text%') needs trigram indexes.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX events_published_starts_idx ON events (starts_at, id) WHERE status = 'published';
CREATE INDEX events_published_title_idx ON events (lower(title), id) WHERE status = 'published';
CREATE INDEX events_title_trgm_idx ON events USING gin (title gin_trgm_ops) WHERE status = 'published';
CREATE INDEX events_venue_trgm_idx ON events USING gin (venue gin_trgm_ops) WHERE status = 'published';

-- Sorting by price orders events by their cheapest tier. Computing that per row costs a
-- subquery per event (722 ms over 100,000 events), so the event row keeps it, maintained
-- by triggers when a tier is added, removed or re-priced. The UPDATE trigger names the
-- price column and compares values: a booking, which changes only `remaining`, never
-- fires it, so the hot path pays nothing.
ALTER TABLE events ADD COLUMN lowest_price_cents bigint;

CREATE FUNCTION events_refresh_lowest_price() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE events e
       SET lowest_price_cents = (SELECT MIN(t.price_cents) FROM ticket_tiers t WHERE t.event_id = e.id)
     WHERE e.id = CASE WHEN TG_OP = 'DELETE' THEN OLD.event_id ELSE NEW.event_id END;
    RETURN NULL;
END;
$$;

CREATE TRIGGER ticket_tiers_price_added_or_removed AFTER INSERT OR DELETE ON ticket_tiers
    FOR EACH ROW EXECUTE FUNCTION events_refresh_lowest_price();
CREATE TRIGGER ticket_tiers_price_changed AFTER UPDATE OF price_cents ON ticket_tiers
    FOR EACH ROW WHEN (OLD.price_cents IS DISTINCT FROM NEW.price_cents)
    EXECUTE FUNCTION events_refresh_lowest_price();

UPDATE events e
   SET lowest_price_cents = (SELECT MIN(t.price_cents) FROM ticket_tiers t WHERE t.event_id = e.id);

CREATE INDEX events_published_price_idx ON events (lowest_price_cents, id) WHERE status = 'published';
