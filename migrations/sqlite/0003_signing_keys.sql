-- Keys that sign certificates, validation answers and tokens. The private
-- half is sealed with the master key; the public half is what the JWKS
-- publishes. A retired key signs nothing new but stays published until
-- `publish_until`, when every token it signed has expired.
CREATE TABLE signing_keys (
    kid            TEXT PRIMARY KEY,
    alg            TEXT NOT NULL,
    private_sealed TEXT NOT NULL,
    public_jwk     TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    retired_at     BIGINT,
    publish_until  BIGINT
);
