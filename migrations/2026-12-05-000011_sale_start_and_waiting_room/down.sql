DROP TABLE queue_entries;
DROP TABLE waiting_rooms;
ALTER TABLE events
    DROP CONSTRAINT events_sales_start_before_start,
    DROP COLUMN sales_start_at;
