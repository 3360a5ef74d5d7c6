-- EULA documents and the acceptance ledger.

-- A published version is immutable: there is no statement in the code that
-- updates or deletes one, and (product, locale, version) is unique.
CREATE TABLE eula_documents (
    id           TEXT PRIMARY KEY,
    product      TEXT NOT NULL,
    locale       TEXT NOT NULL,
    version      TEXT NOT NULL,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    material     BOOLEAN NOT NULL,
    published_at BIGINT NOT NULL,
    UNIQUE (product, locale, version)
);
CREATE INDEX eula_documents_product_idx ON eula_documents (product, published_at);

-- Append-only evidence. `seq` numbers the one chain without gaps (its
-- primary key makes a fork impossible); `hash` covers every field and
-- `prev_hash`, so any later change or removal shows when the chain is walked.
CREATE TABLE eula_acceptances (
    seq        BIGINT PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    user_id    TEXT NOT NULL REFERENCES users(id),
    product    TEXT NOT NULL,
    locale     TEXT NOT NULL,
    version    TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    decision   TEXT NOT NULL CHECK (decision IN ('accepted', 'declined', 'withdrawn')),
    at         BIGINT NOT NULL,
    ip         TEXT,
    user_agent TEXT,
    channel    TEXT NOT NULL CHECK (channel IN ('web', 'api')),
    amr        TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE INDEX eula_acceptances_user_idx ON eula_acceptances (user_id, product, seq);

CREATE FUNCTION eula_acceptances_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'eula_acceptances is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER eula_acceptances_append_only BEFORE UPDATE OR DELETE ON eula_acceptances
    FOR EACH ROW EXECUTE FUNCTION eula_acceptances_append_only();
CREATE TRIGGER eula_acceptances_no_truncate BEFORE TRUNCATE ON eula_acceptances
    FOR EACH STATEMENT EXECUTE FUNCTION eula_acceptances_append_only();
