-- Minting no longer writes: a token is recorded only when it is revoked.
-- Introspection checks the signature (one of our published keys), the
-- expiry, this list by `jti`, and the session named by the token's `sid`.
-- Each entry keeps the token's own expiry so the purge can drop it once the
-- token would be refused as expired anyway.
CREATE TABLE revoked_tokens (
    jti        TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL
);
CREATE INDEX revoked_tokens_expiry_idx ON revoked_tokens (expires_at);

-- Revocations made before this migration stay revoked. The tokens recorded
-- at mint carry no `sid`, so they no longer introspect as live; they expire
-- within one token lifetime, and their holders mint new ones.
INSERT INTO revoked_tokens (jti, expires_at, revoked_at)
SELECT jti, expires_at, revoked_at FROM issued_tokens WHERE revoked_at IS NOT NULL;

-- `issued_tokens` stays for now: instances of the previous release still
-- write it while a rolling upgrade runs. A later release drops it (expand
-- now, contract later).
