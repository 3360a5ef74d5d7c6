-- One support PIN per user at a time: a new one replaces the old. Stored as
-- a keyed hash (six digits are too few for a plain hash), spent by deletion.
CREATE TABLE support_pins (
    user_id    TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    pin_hash   TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
