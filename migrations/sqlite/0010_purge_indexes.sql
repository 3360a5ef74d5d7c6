-- The periodic purge deletes rows by age or expiry in small batches; these
-- indexes let each batch find its rows without scanning the table. The
-- other purged tables (challenges, pending sign-ins, issued tokens) have
-- such an index already, and signing keys and support PINs stay small.
CREATE INDEX attempts_at_idx ON attempts (at);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
CREATE INDEX email_tokens_expires_idx ON email_tokens (expires_at);
CREATE INDEX known_devices_expires_idx ON known_devices (expires_at);
CREATE INDEX outbox_sent_idx ON outbox (sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX outbox_failed_idx ON outbox (failed_at) WHERE failed_at IS NOT NULL;
