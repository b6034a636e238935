-- The per-buyer ticket limit is checked on every booking. It used to find the buyer's
-- items by joining the event's items to bookings. With statistics taken before an
-- on-sale (as they are in its first minute, before autovacuum catches up) the planner
-- chose a nested loop over every item of the event: on a hot event the check averaged
-- 2.3 ms over the first 860 sales and grew with each one (pgbench -r, one client), the
-- slowest statement of the booking. Items now name their buyer, indexed with the event,
-- so the check reads only that buyer's items of the requested events, however many
-- tickets the event has sold. The composite foreign key keeps the copy equal to the
-- booking's buyer.
ALTER TABLE bookings ADD CONSTRAINT bookings_id_user_key UNIQUE (id, user_id);

ALTER TABLE booking_items ADD COLUMN user_id uuid;
UPDATE booking_items bi SET user_id = b.user_id FROM bookings b WHERE b.id = bi.booking_id;
ALTER TABLE booking_items
    ALTER COLUMN user_id SET NOT NULL,
    DROP CONSTRAINT booking_items_booking_id_fkey,
    ADD CONSTRAINT booking_items_booking_user_fkey FOREIGN KEY (booking_id, user_id)
        REFERENCES bookings (id, user_id) ON DELETE CASCADE;

CREATE INDEX booking_items_user_event_idx ON booking_items (user_id, event_id);
