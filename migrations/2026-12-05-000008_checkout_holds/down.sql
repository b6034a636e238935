DROP INDEX bookings_pending_expiry_idx;
ALTER TABLE bookings DROP CONSTRAINT bookings_pending_expires;
ALTER TABLE bookings DROP COLUMN expires_at;
ALTER TABLE events DROP COLUMN offer_minutes, DROP COLUMN hold_minutes;
