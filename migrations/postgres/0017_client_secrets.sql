-- A confidential client's secret set with `latchkey admin client set-secret`
-- (the other way is `secret_file`). Kept only as its SHA-256 hash: Latchkey
-- only ever checks it, unlike an integration's secret, which signs and so
-- is sealed.
CREATE TABLE client_secrets (
    client_id   TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
INSERT INTO schema_compat (version, oldest_build) VALUES (17, 14);
