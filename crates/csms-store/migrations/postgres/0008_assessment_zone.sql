-- The zone a 62443-3-3 assessment assesses (issue 5): its results give the zone's SL-A.
-- Optional, and only for assessments of an IEC 62443-3-3 framework (the store checks that).
-- The composite key keeps the zone within the assessment's organization, and refuses to
-- delete a zone that an assessment still names.

ALTER TABLE assessments ADD COLUMN zone_id UUID;

ALTER TABLE assessments ADD CONSTRAINT assessments_zone_fk
    FOREIGN KEY (org_id, zone_id) REFERENCES zones (org_id, id);

CREATE INDEX assessments_zone ON assessments (org_id, zone_id);
