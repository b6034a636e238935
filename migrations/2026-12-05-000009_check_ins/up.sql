-- The door (Step 12). A ticket is not a row: it is the n-th unit of a tier in a confirmed
-- booking (domain::ticket), so issuing tickets writes nothing on the booking path and
-- cancelling a booking voids its tickets by its status alone. What the door does is kept:
-- one check-in per ticket (its primary key is what makes a ticket admitted once, however
-- many doors and api instances scan it at the same instant), and every scan, whatever it
-- came to.
CREATE TABLE check_ins (
    ticket_id     uuid        PRIMARY KEY,
    booking_id    uuid        NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    tier_id       uuid        NOT NULL REFERENCES ticket_tiers (id),
    event_id      uuid        NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    ticket_index  integer     NOT NULL CHECK (ticket_index >= 0),
    checked_in_at timestamptz NOT NULL,
    checked_in_by uuid        NOT NULL REFERENCES users (id),
    CONSTRAINT check_ins_one_per_unit UNIQUE (booking_id, tier_id, ticket_index)
);

-- The door's count: checked in per tier of an event.
CREATE INDEX check_ins_event_tier_idx ON check_ins (event_id, tier_id);

CREATE TABLE check_in_scans (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id   uuid        NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    -- Absent for a code that did not verify: there is no ticket to name.
    ticket_id  uuid,
    scanned_by uuid        NOT NULL REFERENCES users (id),
    scanned_at timestamptz NOT NULL,
    result     text        NOT NULL
               CONSTRAINT check_in_scans_result_known
               CHECK (result IN ('admitted', 'alreadyCheckedIn', 'void', 'invalid', 'notFound'))
);

CREATE INDEX check_in_scans_event_idx ON check_in_scans (event_id, scanned_at DESC);
