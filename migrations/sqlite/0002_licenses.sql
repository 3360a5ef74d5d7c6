-- Licenses issued under policies, the activation codes that bring them onto
-- accounts, the devices holding their seats, and the event log of every change.

CREATE TABLE licenses (
    id              TEXT PRIMARY KEY,
    -- SHA-256 of the key for lookups; the key itself only sealed with the master key.
    key_hash        TEXT NOT NULL UNIQUE,
    key_sealed      TEXT NOT NULL,
    policy          TEXT NOT NULL,
    policy_revision TEXT NOT NULL,
    product         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'revoked')),
    max_activations BIGINT NOT NULL,
    entitlements    TEXT NOT NULL,
    metadata        TEXT,
    -- When set, only the account with this normalised email may redeem.
    owner_email     TEXT,
    expires_at      BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX licenses_policy_idx ON licenses (policy, created_at);

CREATE TABLE activation_codes (
    code_hash  TEXT PRIMARY KEY,
    license_id TEXT NOT NULL REFERENCES licenses(id) ON DELETE CASCADE,
    uses_left  BIGINT NOT NULL CHECK (uses_left >= 0),
    created_at BIGINT NOT NULL
);
CREATE INDEX activation_codes_license_idx ON activation_codes (license_id);

-- Who may use a license: every user who redeemed its code.
CREATE TABLE license_holders (
    license_id  TEXT NOT NULL REFERENCES licenses(id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    redeemed_at BIGINT NOT NULL,
    PRIMARY KEY (license_id, user_id)
);
CREATE INDEX license_holders_user_idx ON license_holders (user_id);

CREATE TABLE activations (
    id               TEXT PRIMARY KEY,
    license_id       TEXT NOT NULL REFERENCES licenses(id) ON DELETE CASCADE,
    user_id          TEXT REFERENCES users(id) ON DELETE SET NULL,
    fingerprint_hash TEXT NOT NULL,
    name             TEXT,
    platform         TEXT,
    created_at       BIGINT NOT NULL,
    last_seen_at     BIGINT NOT NULL,
    -- Floating seats only: the seat counts until this moment.
    lease_expires_at BIGINT,
    deactivated_at   BIGINT
);
-- One live activation per device and license: a second claim finds the first.
CREATE UNIQUE INDEX activations_live_fingerprint_idx
    ON activations (license_id, fingerprint_hash) WHERE deactivated_at IS NULL;

CREATE TABLE license_events (
    id         TEXT PRIMARY KEY,
    license_id TEXT NOT NULL REFERENCES licenses(id) ON DELETE CASCADE,
    at         BIGINT NOT NULL,
    actor      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    detail     TEXT NOT NULL
);
CREATE INDEX license_events_license_idx ON license_events (license_id, at);

-- Admin issuance retried with the same Idempotency-Key returns the first answer.
CREATE TABLE idempotent_requests (
    scope        TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response     TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);
