DROP TABLE ticket_tiers;
DROP TABLE events;
