-- RFC 9449 §10: an app may name its DPoP key (`dpop_jkt`) when it opens the
-- sign-in; the code is then exchanged only with a proof made with that key,
-- so a code caught on its way back to the app is useless to anyone else.
ALTER TABLE oauth_codes ADD COLUMN dpop_jkt TEXT;
INSERT INTO schema_compat (version, oldest_build) VALUES (18, 14);
