-- Events and their ticket tiers. Availability lives on the tier row: it is the row the
-- booking transaction locks, so the database itself refuses to oversell (the CHECK below).

CREATE TABLE events (
    id                   uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    organizer_id         uuid        NOT NULL REFERENCES users (id),
    title                text        NOT NULL CONSTRAINT events_title_length CHECK (char_length(title) BETWEEN 1 AND 200),
    description          text        NOT NULL DEFAULT '',
    venue                text        NOT NULL,
    starts_at            timestamptz NOT NULL,
    status               text        NOT NULL DEFAULT 'draft'
                                     CONSTRAINT events_status_known CHECK (status IN ('draft', 'published', 'cancelled')),
    max_tickets_per_user integer     NOT NULL DEFAULT 4 CONSTRAINT events_max_tickets_positive CHECK (max_tickets_per_user >= 1),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX events_organizer_idx ON events (organizer_id);

CREATE TABLE ticket_tiers (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    event_id    uuid        NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    name        text        NOT NULL,
    -- Money is integer minor units (cents), never floating point.
    price_cents bigint      NOT NULL CONSTRAINT ticket_tiers_price_non_negative CHECK (price_cents >= 0),
    currency    text        NOT NULL CONSTRAINT ticket_tiers_currency_iso CHECK (currency ~ '^[A-Z]{3}$'),
    capacity    integer     NOT NULL CONSTRAINT ticket_tiers_capacity_non_negative CHECK (capacity >= 0),
    remaining   integer     NOT NULL,
    position    integer     NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    -- The last line of defence against overselling, whatever the application does.
    CONSTRAINT ticket_tiers_remaining_bounds CHECK (remaining >= 0 AND remaining <= capacity),
    CONSTRAINT ticket_tiers_event_name_key UNIQUE (event_id, name)
);

CREATE INDEX ticket_tiers_event_idx ON ticket_tiers (event_id, position);
