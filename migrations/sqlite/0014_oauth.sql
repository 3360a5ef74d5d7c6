-- Apps that sign their users in through us (OAuth 2.0 / OpenID Connect).
--
-- A grant is one sign-in of one user into one app: the family that its
-- authorization code, its refresh tokens and its access tokens descend
-- from. Access tokens name the grant as their `sid`, so introspection finds
-- it like a session; revoking the grant ends every token of the family, on
-- every instance. `authorization_details` holds what was granted beyond
-- scopes: the seat activated for the app's machine (RFC 9396).
CREATE TABLE oauth_grants (
    id             TEXT PRIMARY KEY,
    client_id      TEXT NOT NULL,
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    scope          TEXT NOT NULL,
    auth_time      BIGINT NOT NULL,
    amr            TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    revoked_at     BIGINT,
    revoked_reason TEXT,
    authorization_details TEXT
);
CREATE INDEX oauth_grants_user_idx ON oauth_grants (user_id);
CREATE INDEX oauth_grants_expiry_idx ON oauth_grants (expires_at);

-- Codes live 60 seconds and are used once; only their hash is kept. A code
-- presented again revokes its grant (RFC 6749 §4.1.2).
CREATE TABLE oauth_codes (
    code_hash      TEXT PRIMARY KEY,
    grant_id       TEXT NOT NULL REFERENCES oauth_grants(id) ON DELETE CASCADE,
    redirect_uri   TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    nonce          TEXT,
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT
);
CREATE INDEX oauth_codes_grant_idx ON oauth_codes (grant_id);

-- Every refresh token the family was ever given, by hash. Each is used once
-- (rotation); a used one presented again means two holders, and revokes the
-- family.
CREATE TABLE oauth_refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    grant_id   TEXT NOT NULL REFERENCES oauth_grants(id) ON DELETE CASCADE,
    issued_at  BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX oauth_refresh_tokens_grant_idx ON oauth_refresh_tokens (grant_id);

-- A device without a browser (a CLI, a TV, a build machine) asking for a
-- sign-in made on another screen (RFC 8628). The device keeps the device
-- code and polls; the person types the user code on /device. Both are kept
-- only as hashes. `status` goes pending → approved or denied → collected
-- (the device got its tokens, once).
CREATE TABLE oauth_device_requests (
    device_code_hash TEXT PRIMARY KEY,
    user_code_hash   TEXT NOT NULL UNIQUE,
    client_id        TEXT NOT NULL,
    scope            TEXT NOT NULL,
    requested_ip     TEXT,
    requested_at     BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    interval_secs    BIGINT NOT NULL,
    polled_at        BIGINT,
    status           TEXT NOT NULL,
    grant_id         TEXT REFERENCES oauth_grants(id) ON DELETE CASCADE,
    authorization_details TEXT
);
CREATE INDEX oauth_device_requests_expiry_idx ON oauth_device_requests (expires_at);
