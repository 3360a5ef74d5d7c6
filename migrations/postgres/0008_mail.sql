-- The transactional outbox: a row is written in the same transaction as the
-- fact that causes the mail, and a worker sends it. Rows hold no secrets:
-- link tokens are minted when the message is rendered for sending.
CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- The address when the mail was caused (an address change notifies the old one).
    recipient       TEXT NOT NULL,
    detail          TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    -- A worker holds the row until then; a crashed worker's rows come due again.
    claimed_until   BIGINT,
    -- Which claim holds it: an outcome is recorded only by the claim that still holds the row.
    claim_token     TEXT,
    -- Set only after the SMTP server accepted the message.
    sent_at         BIGINT,
    -- Given up after too many failures.
    failed_at       BIGINT,
    last_error      TEXT
);
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX outbox_user_kind_idx ON outbox (user_id, kind, created_at);

-- Link tokens from mail (verify an address, reset a password), stored
-- hashed and spent by deletion.
CREATE TABLE email_tokens (
    token_hash TEXT PRIMARY KEY,
    purpose    TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- The address the link was sent to: verifying it verifies only that address.
    email      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX email_tokens_user_idx ON email_tokens (user_id, purpose);

-- One "your license expires soon" notice per license and expiry date; a
-- renewal moves the date and so earns a new notice next time.
CREATE TABLE expiry_notices (
    license_id TEXT NOT NULL REFERENCES licenses(id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL,
    noticed_at BIGINT NOT NULL,
    PRIMARY KEY (license_id, expires_at)
);
