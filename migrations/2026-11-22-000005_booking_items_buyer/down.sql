DROP INDEX booking_items_user_event_idx;
ALTER TABLE booking_items
    DROP CONSTRAINT booking_items_booking_user_fkey,
    ADD CONSTRAINT booking_items_booking_id_fkey FOREIGN KEY (booking_id)
        REFERENCES bookings (id) ON DELETE CASCADE,
    DROP COLUMN user_id;
ALTER TABLE bookings DROP CONSTRAINT bookings_id_user_key;
