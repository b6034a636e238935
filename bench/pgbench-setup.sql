-- The raw-database side of `just bench`: a hot event like the storm's (one tier, a
-- million tickets, 100 per buyer) and buyers whose ids the pgbench script can compute
-- (md5 of a name, as uuid), so it needs no lookup per booking. Runs on the seeded
-- database of a fresh bench cluster.

INSERT INTO events (id, organizer_id, title, description, venue, starts_at, status, max_tickets_per_user)
SELECT md5('pgbench-event')::uuid, id, 'pgbench hot event', 'Booked by pgbench.', 'Load Test Arena',
       now() + interval '30 days', 'published', 100
  FROM users WHERE email = 'organizer@example.com';

INSERT INTO ticket_tiers (id, event_id, name, price_cents, currency, capacity, remaining, position)
VALUES (md5('pgbench-tier')::uuid, md5('pgbench-event')::uuid, 'General Admission', 1000, 'USD',
        1000000, 1000000, 0);

INSERT INTO users (id, email, name, password_hash, role)
SELECT md5('pgbench-buyer-' || n)::uuid, 'pgbench-buyer-' || n || '@load.example.com',
       'pgbench buyer ' || n, '!', 'customer'
  FROM generate_series(0, :buyers - 1) AS n;

