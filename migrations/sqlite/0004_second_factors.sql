-- Second factors (TOTP, recovery codes, passkeys), the server-side state of
-- half-finished sign-ins and WebAuthn ceremonies, and the user-visible
-- security events they produce.

-- One authenticator app per user. The secret is sealed with the master key.
-- `last_step` is the newest TOTP time step accepted: a code is accepted only
-- by a conditional update that raises it, so no step is ever used twice, even
-- by two instances at once.
CREATE TABLE totp_credentials (
    user_id       TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret_sealed TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    confirmed_at  BIGINT,
    last_step     BIGINT
);

-- Keyed hashes only (HMAC with a key derived from the master key), so a copy
-- of the database alone does not allow guessing codes offline.
CREATE TABLE recovery_codes (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    used_at    BIGINT,
    UNIQUE (user_id, code_hash)
);

-- `credential` is webauthn-rs's serialised Passkey: public key, counter and
-- backup flags. It is rewritten after every use; `counter` is its signature
-- counter, raised only by a conditional update, so an assertion from a cloned
-- authenticator (a counter not above the stored one) is caught even when it
-- races the original on another instance.
CREATE TABLE passkeys (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    credential_id  TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    credential     TEXT NOT NULL,
    backup_eligible BOOLEAN NOT NULL,
    backup_state   BOOLEAN NOT NULL,
    counter        BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    last_used_at   BIGINT
);
CREATE INDEX passkeys_user_idx ON passkeys (user_id);

-- A password was right but a second factor is still owed. The token is
-- stored hashed; `failures` ends the pending sign-in after five wrong codes.
CREATE TABLE pending_sign_ins (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    amr        TEXT NOT NULL,
    failures   BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX pending_sign_ins_expires_idx ON pending_sign_ins (expires_at);

-- WebAuthn ceremony state, kept here and never sent to the client. A row is
-- deleted when it is used, so each challenge answers once.
CREATE TABLE webauthn_challenges (
    id         TEXT PRIMARY KEY,
    purpose    TEXT NOT NULL,
    user_id    TEXT REFERENCES users(id) ON DELETE CASCADE,
    bound_to   TEXT,
    state      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX webauthn_challenges_expires_idx ON webauthn_challenges (expires_at);

-- What happened to an account, for the user (and later for support).
CREATE TABLE user_events (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    detail     TEXT NOT NULL,
    ip         TEXT,
    user_agent TEXT,
    at         BIGINT NOT NULL
);
CREATE INDEX user_events_user_at_idx ON user_events (user_id, at);
