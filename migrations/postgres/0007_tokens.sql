-- Tokens minted for our own audiences, by `jti`: what introspection and
-- revocation look up. Rows are deleted once the token has expired.
CREATE TABLE issued_tokens (
    jti        TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- The session it was minted from: signing out ends its tokens too.
    session_id TEXT NOT NULL,
    audience   TEXT NOT NULL,
    issued_at  BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX issued_tokens_expiry_idx ON issued_tokens (expires_at);

-- Shared secrets of help-desk and widget integrations set with
-- `latchkey admin integration set-secret`, sealed with the master key. The
-- newest per integration signs; older ones stay so a rotation can be undone.
CREATE TABLE integration_secrets (
    integration   TEXT NOT NULL,
    key_id        TEXT NOT NULL,
    secret_sealed TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (integration, key_id)
);
