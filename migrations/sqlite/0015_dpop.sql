-- DPoP (RFC 9449): a public app's sign-in may be bound to a key only the
-- app holds. `dpop_jkt` is that key's thumbprint; once set, a refresh token
-- of the grant is accepted only with a proof made with that key.
ALTER TABLE oauth_grants ADD COLUMN dpop_jkt TEXT;

-- Every proof is used once. A proof is remembered by a hash of its key and
-- `jti` until its `iat` could no longer be accepted anyway, so that a proof
-- spent at one instance is refused at every other.
CREATE TABLE dpop_proofs (
    proof_hash TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX dpop_proofs_expiry_idx ON dpop_proofs (expires_at);
