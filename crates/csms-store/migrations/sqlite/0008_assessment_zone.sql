-- The zone a 62443-3-3 assessment assesses (issue 5): its results give the zone's SL-A.
-- Optional, and only for assessments of an IEC 62443-3-3 framework (the store checks that).
--
-- SQLite cannot add a table constraint to an existing table, and rebuilding `assessments`
-- would mean rebuilding every table that refers to it. So the column carries a column
-- foreign key to the zone (which refuses to delete a zone an assessment still names), and
-- two triggers do what PostgreSQL's composite key (org_id, zone_id) -> zones (org_id, id)
-- does: the zone must belong to the assessment's organization.

ALTER TABLE assessments ADD COLUMN zone_id BLOB REFERENCES zones (id);

CREATE INDEX assessments_zone ON assessments (org_id, zone_id);

CREATE TRIGGER assessments_zone_org_insert
BEFORE INSERT ON assessments
WHEN NEW.zone_id IS NOT NULL
 AND NOT EXISTS (SELECT 1 FROM zones WHERE org_id = NEW.org_id AND id = NEW.zone_id)
BEGIN
    SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: assessments.zone_id names a zone of another organization');
END;

CREATE TRIGGER assessments_zone_org_update
BEFORE UPDATE OF zone_id, org_id ON assessments
WHEN NEW.zone_id IS NOT NULL
 AND NOT EXISTS (SELECT 1 FROM zones WHERE org_id = NEW.org_id AND id = NEW.zone_id)
BEGIN
    SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: assessments.zone_id names a zone of another organization');
END;
