-- Accounts and the refresh tokens that keep a browser signed in.

CREATE TABLE users (
    id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Stored lower-cased: emails compare case-insensitively, so the stored form is the key.
    email         text        NOT NULL CONSTRAINT users_email_lowercase CHECK (email = lower(email)),
    name          text        NOT NULL,
    password_hash text        NOT NULL,
    role          text        NOT NULL DEFAULT 'customer'
                              CONSTRAINT users_role_known CHECK (role IN ('customer', 'organizer', 'admin')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_key UNIQUE (email)
);

-- One row per issued refresh token. Only a SHA-256 of the token is kept, so a leaked
-- table cannot be replayed. Tokens descending from one login share a family_id: reuse of
-- an exchanged token revokes the whole family.
CREATE TABLE refresh_tokens (
    id         uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id  uuid        NOT NULL,
    token_hash bytea       NOT NULL CONSTRAINT refresh_tokens_hash_key UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    revoked_at timestamptz
);

CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);
