ALTER TABLE ticket_tiers DROP COLUMN version;
