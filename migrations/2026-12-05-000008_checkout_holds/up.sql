-- Checkout holds (Step 12). A pending booking now says until when it holds its tickets:
-- a buyer's hold lasts the event's `hold_minutes`, a payment that never answers
-- `domain::lifecycle::HOLD_TTL`. The sweeper and every read decide by `expires_at`, so
-- they agree to the instant; before, the sweeper reckoned from `created_at` with one
-- fixed length for every event.
ALTER TABLE events
    ADD COLUMN hold_minutes integer NOT NULL DEFAULT 10
        CONSTRAINT events_hold_minutes_range CHECK (hold_minutes BETWEEN 1 AND 60),
    ADD COLUMN offer_minutes integer NOT NULL DEFAULT 30
        CONSTRAINT events_offer_minutes_range CHECK (offer_minutes BETWEEN 1 AND 1440);

ALTER TABLE bookings ADD COLUMN expires_at timestamptz;

UPDATE bookings SET expires_at = created_at + interval '10 minutes' WHERE status = 'pending';

ALTER TABLE bookings ADD CONSTRAINT bookings_pending_expires
    CHECK (status <> 'pending' OR expires_at IS NOT NULL);

-- The sweeper's scan: the pending bookings past their expiry, oldest first.
CREATE INDEX bookings_pending_expiry_idx ON bookings (expires_at) WHERE status = 'pending';
