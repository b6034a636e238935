-- What each buyer holds of each event, kept by the database itself. The per-person
-- limit is checked on every booking; it used to add up the buyer's items of the event
-- joined to their bookings' status, which grows with every ticket the buyer already
-- has. On a hot event sold in batches that sum was half of each batch's time (a storm
-- of 64 clients, 32 buyers per batch with about 80 items each: 2,696 items and as many
-- booking lookups, 12 ms under EXPLAIN ANALYZE). Now it is one row per buyer and event.
--
-- Triggers keep the tally, so no writer can forget it: items inserted add their
-- quantity (items are only written with their booking, which starts `pending` or
-- `confirmed`: domain::lifecycle::initial_status); a booking that leaves those states
-- (cancelled, expired) or is deleted (its payment declined) takes its items back. The
-- insert and status triggers run once per statement over its transition table, so a
-- batch of bookings costs one upsert, not one per row. Rows are locked in (user_id,
-- event_id) order, so two statements touching the same rows cannot deadlock; every
-- writer reaches this table last, after its booking, user and tier locks.
CREATE TABLE ticket_holdings (
    user_id  uuid    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    event_id uuid    NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    quantity integer NOT NULL CHECK (quantity >= 0),
    PRIMARY KEY (user_id, event_id)
);

INSERT INTO ticket_holdings (user_id, event_id, quantity)
SELECT bi.user_id, bi.event_id, sum(bi.quantity)
  FROM booking_items bi JOIN bookings b ON b.id = bi.booking_id
 WHERE b.status IN ('pending', 'confirmed')
 GROUP BY bi.user_id, bi.event_id;

CREATE FUNCTION ticket_holdings_items_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ticket_holdings AS h (user_id, event_id, quantity)
    SELECT user_id, event_id, sum(quantity)
      FROM added
     GROUP BY user_id, event_id
     ORDER BY user_id, event_id
    ON CONFLICT (user_id, event_id) DO UPDATE SET quantity = h.quantity + excluded.quantity;
    RETURN NULL;
END $$;

CREATE TRIGGER ticket_holdings_items_added
    AFTER INSERT ON booking_items REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION ticket_holdings_items_added();

-- Moves the items of `booking_ids` into (+1) or out of (-1) the tally. The rows exist
-- already: the items' insert made them, and they go only with their user or event. (An
-- upsert would not do: its insert half is checked, and refused, with a negative
-- quantity.) They are locked in (user_id, event_id) order first, as an UPDATE's join
-- picks its own order.
CREATE FUNCTION ticket_holdings_move(booking_ids uuid[], sign integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1
       FROM ticket_holdings h
       JOIN booking_items bi USING (user_id, event_id)
      WHERE bi.booking_id = ANY(booking_ids)
      ORDER BY h.user_id, h.event_id
        FOR UPDATE OF h;
    UPDATE ticket_holdings h
       SET quantity = h.quantity + sign * moved.quantity
      FROM (SELECT user_id, event_id, sum(quantity) AS quantity
              FROM booking_items
             WHERE booking_id = ANY(booking_ids)
             GROUP BY user_id, event_id) moved
     WHERE h.user_id = moved.user_id AND h.event_id = moved.event_id;
END $$;

-- A booking leaving `pending` / `confirmed` takes its items out of the tally (coming
-- back is never done today; handled so the tally cannot drift if it ever is).
CREATE FUNCTION ticket_holdings_status_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    holding CONSTANT text[] := '{pending,confirmed}';
BEGIN
    PERFORM ticket_holdings_move(array_agg(n.id), -1)
       FROM after_update n JOIN before_update o ON o.id = n.id
      WHERE o.status = ANY(holding) AND NOT n.status = ANY(holding)
     HAVING count(*) > 0;
    PERFORM ticket_holdings_move(array_agg(n.id), 1)
       FROM after_update n JOIN before_update o ON o.id = n.id
      WHERE n.status = ANY(holding) AND NOT o.status = ANY(holding)
     HAVING count(*) > 0;
    RETURN NULL;
END $$;

-- Transition tables cannot go with `UPDATE OF status`; the function filters instead.
CREATE TRIGGER ticket_holdings_status_changed
    AFTER UPDATE ON bookings REFERENCING OLD TABLE AS before_update NEW TABLE AS after_update
    FOR EACH STATEMENT EXECUTE FUNCTION ticket_holdings_status_changed();

-- A declined payment deletes its pending booking; its items go with it (cascade), so
-- they leave the tally before, while they can still be read.
CREATE FUNCTION ticket_holdings_booking_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status IN ('pending', 'confirmed') THEN
        PERFORM ticket_holdings_move(ARRAY[OLD.id], -1);
    END IF;
    RETURN OLD;
END $$;

CREATE TRIGGER ticket_holdings_booking_deleted
    BEFORE DELETE ON bookings
    FOR EACH ROW EXECUTE FUNCTION ticket_holdings_booking_deleted();
