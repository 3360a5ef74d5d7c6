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

CREATE TRIGGER change_marks_license_updated AFTER UPDATE ON licenses BEGIN
    UPDATE change_marks SET n = n + 1 WHERE name = 'license:' || substr(NEW.id, 36, 1);
END;
CREATE TRIGGER change_marks_license_deleted AFTER DELETE ON licenses BEGIN
    UPDATE change_marks SET n = n + 1 WHERE name = 'license:' || substr(OLD.id, 36, 1);
END;
CREATE TRIGGER change_marks_activation_inserted AFTER INSERT ON activations BEGIN
    UPDATE change_marks SET n = n + 1 WHERE name = 'license:' || substr(NEW.license_id, 36, 1);
END;
CREATE TRIGGER change_marks_activation_updated AFTER UPDATE ON activations BEGIN
    UPDATE change_marks SET n = n + 1 WHERE name = 'license:' || substr(NEW.license_id, 36, 1);
END;
-- A deactivated activation is no fact any more; removing it changes nothing.
CREATE TRIGGER change_marks_activation_deleted AFTER DELETE ON activations WHEN OLD.deactivated_at IS NULL BEGIN
    UPDATE change_marks SET n = n + 1 WHERE name = 'license:' || substr(OLD.license_id, 36, 1);
END;
CREATE TRIGGER change_marks_holder_inserted AFTER INSERT ON license_holders BEGIN
    UPDATE change_marks SET n = n + 1 WHERE name = 'holder:' || substr(NEW.user_id, 36, 1);
END;
CREATE TRIGGER change_marks_holder_deleted AFTER DELETE ON license_holders BEGIN
    UPDATE change_marks SET n = n + 1 WHERE name = 'holder:' || substr(OLD.user_id, 36, 1);
END;
CREATE TRIGGER change_marks_eula_published AFTER INSERT ON eula_documents BEGIN
    UPDATE change_marks SET n = n + 1 WHERE name = 'eula';
END;
CREATE TRIGGER change_marks_eula_edited AFTER UPDATE ON eula_documents BEGIN
    UPDATE change_marks SET n = n + 1 WHERE name = 'eula';
END;
CREATE TRIGGER change_marks_eula_withdrawn AFTER DELETE ON eula_documents BEGIN
    UPDATE change_marks SET n = n + 1 WHERE name = 'eula';
END;
CREATE TRIGGER change_marks_eula_decided AFTER INSERT ON eula_acceptances BEGIN
    UPDATE change_marks SET n = n + 1 WHERE name = 'eula';
END;
