-- Waiting lists (Step 12). A buyer waits for a sold-out tier; tickets that come back to
-- it go to the first in line as an offer (domain::waiting_list), a pending booking whose
-- origin says so.
ALTER TABLE bookings ADD COLUMN origin text NOT NULL DEFAULT 'direct'
    CONSTRAINT bookings_origin_known CHECK (origin IN ('direct', 'waitingList'));

-- One place per buyer and tier. `id` is the order of the line: joins lock the tier row,
-- so on one tier they take their numbers in the order they commit.
CREATE TABLE waiting_list (
    id        bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tier_id   uuid        NOT NULL REFERENCES ticket_tiers (id) ON DELETE CASCADE,
    event_id  uuid        NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    user_id   uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    quantity  integer     NOT NULL CHECK (quantity > 0),
    joined_at timestamptz NOT NULL,
    CONSTRAINT waiting_list_one_place UNIQUE (tier_id, user_id)
);

CREATE INDEX waiting_list_line_idx ON waiting_list (tier_id, id);
CREATE INDEX waiting_list_user_idx ON waiting_list (user_id, event_id);

-- A place counts against the per-person limit like a ticket held: the tally moves with
-- every place taken, shrunk or left, kept by triggers as the items' share is. An offer
-- then moves tickets from the place to a booking and the buyer's total stays put.
-- Positive shifts are upserts (a first place makes the row); negative ones update rows
-- that exist (the place's insert made them). Rows are locked in (user_id, event_id)
-- order, as the items' triggers lock them.
CREATE FUNCTION ticket_holdings_shift(user_ids uuid[], event_ids uuid[], deltas integer[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ticket_holdings AS h (user_id, event_id, quantity)
    SELECT user_id, event_id, delta
      FROM unnest(user_ids, event_ids, deltas) AS s(user_id, event_id, delta)
     WHERE delta > 0
     ORDER BY user_id, event_id
    ON CONFLICT (user_id, event_id) DO UPDATE SET quantity = h.quantity + excluded.quantity;
    PERFORM 1
       FROM ticket_holdings h
       JOIN unnest(user_ids, event_ids, deltas) AS s(user_id, event_id, delta)
         ON h.user_id = s.user_id AND h.event_id = s.event_id
      WHERE s.delta < 0
      ORDER BY h.user_id, h.event_id
        FOR UPDATE OF h;
    UPDATE ticket_holdings h
       SET quantity = h.quantity + s.delta
      FROM unnest(user_ids, event_ids, deltas) AS s(user_id, event_id, delta)
     WHERE s.delta < 0 AND h.user_id = s.user_id AND h.event_id = s.event_id;
END $$;

CREATE FUNCTION waiting_list_taken() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ticket_holdings_shift(array_agg(user_id), array_agg(event_id), array_agg(quantity))
       FROM (SELECT user_id, event_id, sum(quantity)::integer AS quantity
               FROM taken GROUP BY user_id, event_id) t
     HAVING count(*) > 0;
    RETURN NULL;
END $$;

CREATE FUNCTION waiting_list_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ticket_holdings_shift(array_agg(user_id), array_agg(event_id), array_agg(quantity))
       FROM (SELECT user_id, event_id, sum(quantity)::integer AS quantity
               FROM (SELECT user_id, event_id, quantity FROM after_update
                     UNION ALL
                     SELECT user_id, event_id, -quantity FROM before_update) moved
              GROUP BY user_id, event_id
             HAVING sum(quantity) <> 0) t
     HAVING count(*) > 0;
    RETURN NULL;
END $$;

CREATE FUNCTION waiting_list_left() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ticket_holdings_shift(array_agg(user_id), array_agg(event_id), array_agg(quantity))
       FROM (SELECT user_id, event_id, -sum(quantity)::integer AS quantity
               FROM gone GROUP BY user_id, event_id) t
     HAVING count(*) > 0;
    RETURN NULL;
END $$;

CREATE TRIGGER waiting_list_taken
    AFTER INSERT ON waiting_list REFERENCING NEW TABLE AS taken
    FOR EACH STATEMENT EXECUTE FUNCTION waiting_list_taken();

CREATE TRIGGER waiting_list_changed
    AFTER UPDATE ON waiting_list REFERENCING OLD TABLE AS before_update NEW TABLE AS after_update
    FOR EACH STATEMENT EXECUTE FUNCTION waiting_list_changed();

CREATE TRIGGER waiting_list_left
    AFTER DELETE ON waiting_list REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION waiting_list_left();
