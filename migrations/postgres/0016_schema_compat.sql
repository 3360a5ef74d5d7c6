-- Which builds may serve a schema that is newer than they know. During a
-- rolling upgrade, instances of the old build and the new one share one
-- PostgreSQL; `latchkey migrate` (of the new build) runs first, so old
-- instances meet a schema with migrations they have never heard of.
--
-- Every migration from this one on records itself here: `oldest_build` is
-- the newest migration a build must know to serve this schema. A migration
-- that only adds (a table, a nullable column, an index) copies the
-- `oldest_build` of the one before it: older builds never read what it
-- added, so a run of additions keeps serving the same builds. One that
-- takes away or changes what older builds read (drop, rename, a new NOT
-- NULL without a default) names itself, and such a change ships only after
-- a release that stopped reading the old shape (expand, migrate, contract).
CREATE TABLE schema_compat (
    version      BIGINT PRIMARY KEY,
    oldest_build BIGINT NOT NULL
);
INSERT INTO schema_compat (version, oldest_build) VALUES (15, 14);
INSERT INTO schema_compat (version, oldest_build) VALUES (16, 14);
