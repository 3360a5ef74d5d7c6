-- Accounts, sessions, API keys and sign-in throttling: the foundation every
-- other capability builds on. Times are Unix epoch milliseconds (BIGINT) and
-- ids are UUIDv7 text on both backends so the store's SQL stays shared.

-- One row per key; `bootstrapped_at` marks that the first-start admin key was
-- issued, `master_key_check` proves the configured master key is this database's.
CREATE TABLE instance_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE users (
    id                TEXT PRIMARY KEY,
    email             TEXT NOT NULL UNIQUE,
    name              TEXT,
    password_hash     TEXT NOT NULL,
    email_verified_at BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    auth_time    BIGINT NOT NULL,
    amr          TEXT NOT NULL,
    ip           TEXT,
    user_agent   TEXT,
    revoked_at   BIGINT
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('admin', 'support')),
    key_hash   TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

-- Keyed by the normalised email, not the user id, so unknown addresses lock
-- exactly like real ones and the lockout cannot be used to discover accounts.
-- A row is written before the password is checked (and removed on success), so
-- concurrent guesses cannot slip past the limit.
CREATE TABLE sign_in_attempts (
    id    TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    at    BIGINT NOT NULL
);
CREATE INDEX sign_in_attempts_email_at_idx ON sign_in_attempts (email, at);
