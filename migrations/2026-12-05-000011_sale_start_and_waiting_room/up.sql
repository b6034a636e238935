-- The on-sale (Step 13): a sale start, and a waiting room that admits buyers at a set pace.
ALTER TABLE events
    ADD COLUMN sales_start_at timestamptz,
    ADD CONSTRAINT events_sales_start_before_start
        CHECK (sales_start_at IS NULL OR sales_start_at < starts_at);

-- An event's waiting room, while the organizer has it on (domain::waiting_room). A table
-- of its own: the admitter writes it every second of a sale, and the events row, which
-- every booking reads, stays as it is.
CREATE TABLE waiting_rooms (
    event_id           uuid        PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
    admit_per_minute   integer     NOT NULL
                       CONSTRAINT waiting_rooms_admit_range
                       CHECK (admit_per_minute BETWEEN 1 AND 1000000),
    -- How long before the sale start buyers may take a place.
    opens_minutes      integer     NOT NULL
                       CONSTRAINT waiting_rooms_opens_range
                       CHECK (opens_minutes BETWEEN 1 AND 1440),
    -- When the places taken before the start were put in one random order (once).
    drawn_at           timestamptz,
    -- Places 1 to this are admitted.
    admitted_through   bigint      NOT NULL DEFAULT 0,
    -- The last place given.
    last_position      bigint      NOT NULL DEFAULT 0,
    -- The last time the room admitted anyone: the pace is kept from here.
    last_admitted_at   timestamptz
);

-- One place per buyer and event. `position` is unset until the draw for places taken
-- before the start, and set at once for later ones.
CREATE TABLE queue_entries (
    event_id    uuid        NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    arrived_at  timestamptz NOT NULL,
    position    bigint,
    admitted_at timestamptz,
    PRIMARY KEY (event_id, user_id),
    CONSTRAINT queue_entries_one_per_position UNIQUE (event_id, position)
);
