-- Live availability is published after commit, from whichever api instance took the
-- request, so two change records of one tier can reach a listener in either order.
-- Every statement that changes a tier's `remaining` also bumps its `version`; writers
-- of one tier are serialised by its row lock, so a larger version is always the later
-- count, and listeners keep the record with the largest one.
ALTER TABLE ticket_tiers ADD COLUMN version bigint NOT NULL DEFAULT 0;
