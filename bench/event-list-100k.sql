-- The public event list against 100,000 published events (plus 10,000 drafts).
-- Run on a migrated, empty database:
--   just measure-event-list
-- Prints EXPLAIN ANALYZE of each query the list endpoint issues.
--
-- Measured 2026-11-22 on the 2-core dev machine (PostgreSQL 15, fsync off):
--   page 1 by date          0.16 ms  index-only scan, events_published_starts_idx
--   count (meta.total)       30 ms   parallel seq scan of 110,000 rows
--   page 500 by title       3.9 ms   index scan, events_published_title_idx
--   search on title/venue    22 ms   bitmap OR of the two trigram indexes
--   page 1 by lowest price 0.05 ms   index scan, events_published_price_idx
--                                    (722 ms before lowest_price_cents was kept on the row)

\set ON_ERROR_STOP on
BEGIN;
INSERT INTO users (id, email, name, password_hash, role)
VALUES ('00000000-0000-0000-0000-000000000001', 'bench-organizer@example.com', 'Bench', 'x', 'organizer');
INSERT INTO events (organizer_id, title, venue, starts_at, status)
SELECT '00000000-0000-0000-0000-000000000001',
       (ARRAY['Jazz', 'Rock', 'Opera', 'Comedy', 'Tech'])[1 + i % 5] || ' Night ' || i,
       (ARRAY['Harbour Hall', 'Grand Theatre', 'Riverside Park'])[1 + i % 3] || ' ' || (i % 97),
       now() + (i || ' minutes')::interval,
       CASE WHEN i % 11 = 0 THEN 'draft' ELSE 'published' END
FROM generate_series(1, 110000) AS i;
INSERT INTO ticket_tiers (event_id, name, price_cents, currency, capacity, remaining, position)
SELECT id, 'General Admission', 500 + (hashtext(id::text) & 65535), 'USD', 100, 100, 0 FROM events;
COMMIT;
ANALYZE events;
ANALYZE ticket_tiers;

\echo '--- page 1, by date (the default)'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT id FROM events WHERE status = 'published' AND starts_at > now()
ORDER BY starts_at ASC, id LIMIT 10 OFFSET 0;

\echo '--- count for meta.total'
EXPLAIN (ANALYZE, COSTS OFF)
SELECT count(*) FROM events WHERE status = 'published' AND starts_at > now();

\echo '--- page 500, by title'
EXPLAIN (ANALYZE, COSTS OFF)
SELECT id FROM events WHERE status = 'published' AND starts_at > now()
ORDER BY lower(events.title) ASC, id LIMIT 10 OFFSET 4990;

\echo '--- search "jazz night 4242" on title or venue'
EXPLAIN (ANALYZE, COSTS OFF)
SELECT id FROM events WHERE status = 'published' AND starts_at > now()
AND (title ILIKE '%jazz night 4242%' OR venue ILIKE '%jazz night 4242%')
ORDER BY starts_at, id LIMIT 10;

\echo '--- page 1, by lowest price'
EXPLAIN (ANALYZE, COSTS OFF)
SELECT id FROM events WHERE status = 'published' AND starts_at > now()
ORDER BY lowest_price_cents ASC NULLS LAST, id LIMIT 10;
