-- Bookings and their items. A booking is all-or-nothing across one or more tiers,
-- possibly of several events; items keep the unit price paid, so later price changes
-- never alter it.

CREATE TABLE bookings (
    id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    reference        text        NOT NULL CONSTRAINT bookings_reference_key UNIQUE
                                 CONSTRAINT bookings_reference_format CHECK (reference ~ '^BK-[0-9A-HJKMNP-TV-Z]{6}$'),
    user_id          uuid        NOT NULL REFERENCES users (id),
    status           text        NOT NULL
                                 CONSTRAINT bookings_status_known CHECK (status IN ('pending', 'confirmed', 'cancelled', 'expired')),
    total_cents      bigint      NOT NULL CONSTRAINT bookings_total_non_negative CHECK (total_cents >= 0),
    currency         text        NOT NULL CONSTRAINT bookings_currency_iso CHECK (currency ~ '^[A-Z]{3}$'),
    -- A client's retry key, unique per user, with a hash of the request it was first used for.
    idempotency_key  text,
    request_hash     bytea,
    created_at       timestamptz NOT NULL DEFAULT now(),
    cancelled_at     timestamptz,
    CONSTRAINT bookings_idempotency_key UNIQUE (user_id, idempotency_key),
    CONSTRAINT bookings_idempotency_pair CHECK ((idempotency_key IS NULL) = (request_hash IS NULL)),
    CONSTRAINT bookings_cancelled_at_set CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL))
);

-- "My bookings", newest first.
CREATE INDEX bookings_user_created_idx ON bookings (user_id, created_at DESC);

CREATE TABLE booking_items (
    booking_id       uuid    NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    tier_id          uuid    NOT NULL REFERENCES ticket_tiers (id),
    -- Denormalised from the tier: the per-user limit is counted per event.
    event_id         uuid    NOT NULL REFERENCES events (id),
    quantity         integer NOT NULL CONSTRAINT booking_items_quantity_positive CHECK (quantity > 0),
    unit_price_cents bigint  NOT NULL CONSTRAINT booking_items_price_non_negative CHECK (unit_price_cents >= 0),
    PRIMARY KEY (booking_id, tier_id)
);

CREATE INDEX booking_items_tier_idx ON booking_items (tier_id);
CREATE INDEX booking_items_event_idx ON booking_items (event_id);
