-- Attempt counters name what they count in a column of their own, so no
-- value a user can type (an "email" such as `support-pin:ada@example.com`)
-- reaches another kind's counter. Kinds: `password` (failed sign-ins for an
-- address from devices it does not know), `client` (the same, per client
-- address), `device` (failures through one known device), `session`
-- (step-up failures of one session), `support_pin` (wrong PINs for an address).
CREATE TABLE attempts (
    id      TEXT PRIMARY KEY,
    kind    TEXT NOT NULL,
    subject TEXT NOT NULL,
    at      BIGINT NOT NULL
);
CREATE INDEX attempts_kind_subject_at_idx ON attempts (kind, subject, at);

INSERT INTO attempts (id, kind, subject, at)
SELECT id,
       CASE WHEN email LIKE 'support-pin:%' THEN 'support_pin' ELSE 'password' END,
       CASE WHEN email LIKE 'support-pin:%' THEN substr(email, 13) ELSE email END,
       at
FROM sign_in_attempts;

DROP TABLE sign_in_attempts;

-- Devices that signed in successfully before (OWASP's device cookie): a
-- sign-in that brings one is judged by that device's own failures, not by
-- the failures strangers cause for the address. Only the token's hash is kept.
CREATE TABLE known_devices (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX known_devices_user_idx ON known_devices (user_id, created_at);

-- A pending sign-in remembers the known device its password came through,
-- so the second factor's failures count where the password's did.
ALTER TABLE pending_sign_ins ADD COLUMN device_hash TEXT;
