-- Instances keep validation facts in memory between requests. A fact is
-- only as good as the database says: every write that changes what a
-- validation answer is built from bumps a mark here, in the same
-- transaction, by trigger, so no code path can forget. An instance polls
-- these few rows and drops whatever was read under an older mark.
--
-- Licenses are spread over 16 marks by the last hex digit of their id (a
-- random digit of a UUIDv7), so a heartbeat on one license neither drops
-- the rest of the cache nor waits on one hot row shared by every writer.
-- Who holds which license is marked by the holder's id the same way, so
-- the licenses a user holds can be cached too. A change to the EULA
-- material or ledger bumps one mark for all.
CREATE TABLE change_marks (
    name TEXT PRIMARY KEY,
    n    BIGINT NOT NULL
);
INSERT INTO change_marks (name, n) VALUES
    ('license:0', 0), ('license:1', 0), ('license:2', 0), ('license:3', 0),
    ('license:4', 0), ('license:5', 0), ('license:6', 0), ('license:7', 0),
    ('license:8', 0), ('license:9', 0), ('license:a', 0), ('license:b', 0),
    ('license:c', 0), ('license:d', 0), ('license:e', 0), ('license:f', 0),
    ('holder:0', 0), ('holder:1', 0), ('holder:2', 0), ('holder:3', 0),
    ('holder:4', 0), ('holder:5', 0), ('holder:6', 0), ('holder:7', 0),
    ('holder:8', 0), ('holder:9', 0), ('holder:a', 0), ('holder:b', 0),
    ('holder:c', 0), ('holder:d', 0), ('holder:e', 0), ('holder:f', 0),
    ('eula', 0);

CREATE FUNCTION change_marks_bump(mark TEXT) RETURNS void AS $$
    UPDATE change_marks SET n = n + 1 WHERE name = mark;
$$ LANGUAGE sql;

CREATE FUNCTION change_marks_license() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM change_marks_bump('license:' || substr(OLD.id, 36, 1));
    ELSE
        PERFORM change_marks_bump('license:' || substr(NEW.id, 36, 1));
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION change_marks_activation() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        -- A deactivated activation is no fact any more; removing it changes nothing.
        IF OLD.deactivated_at IS NULL THEN
            PERFORM change_marks_bump('license:' || substr(OLD.license_id, 36, 1));
        END IF;
    ELSE
        PERFORM change_marks_bump('license:' || substr(NEW.license_id, 36, 1));
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION change_marks_holder() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM change_marks_bump('holder:' || substr(OLD.user_id, 36, 1));
    ELSE
        PERFORM change_marks_bump('holder:' || substr(NEW.user_id, 36, 1));
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION change_marks_eula() RETURNS trigger AS $$
BEGIN
    PERFORM change_marks_bump('eula');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER change_marks_license AFTER UPDATE OR DELETE ON licenses
    FOR EACH ROW EXECUTE FUNCTION change_marks_license();
CREATE TRIGGER change_marks_activation AFTER INSERT OR UPDATE OR DELETE ON activations
    FOR EACH ROW EXECUTE FUNCTION change_marks_activation();
CREATE TRIGGER change_marks_holder AFTER INSERT OR DELETE ON license_holders
    FOR EACH ROW EXECUTE FUNCTION change_marks_holder();
CREATE TRIGGER change_marks_eula_documents AFTER INSERT OR UPDATE OR DELETE ON eula_documents
    FOR EACH ROW EXECUTE FUNCTION change_marks_eula();
CREATE TRIGGER change_marks_eula_acceptances AFTER INSERT ON eula_acceptances
    FOR EACH ROW EXECUTE FUNCTION change_marks_eula();
