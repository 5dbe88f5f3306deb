-- The risk register (issue 5): risk scenarios of systems, zones and assets, scored with the
-- organization's risk method (the fingerprint in `method` names the version that scored them).
--
-- Ratings, triggers and the acceptance are JSON; the levels (indexes into the scoring
-- method's levels) are columns of their own so that the register sorts and filters on them.
-- A risk names its system, zones and assets together with its organization, (org_id, x_id), so
-- that the database itself refuses another organization's zone or asset, and refuses to delete
-- a zone or an asset a risk still names.

-- The last code number given per organization: codes are never reused, even after a delete.
CREATE TABLE risk_counters (
    org_id  BLOB    NOT NULL PRIMARY KEY REFERENCES organizations (id),
    last_seq  INTEGER NOT NULL CHECK (last_seq >= 1)
) STRICT;

CREATE TABLE risks (
    id                 BLOB    NOT NULL PRIMARY KEY,
    org_id             BLOB    NOT NULL REFERENCES organizations (id),
    code               TEXT    NOT NULL,
    title              TEXT    NOT NULL,
    kind               TEXT    NOT NULL CHECK (kind IN ('high_level', 'detailed')),
    system_id          BLOB,
    threat_source      TEXT    NOT NULL DEFAULT '',
    threat_vector      TEXT    NOT NULL DEFAULT '',
    vulnerability      TEXT    NOT NULL DEFAULT '',
    scenario           TEXT    NOT NULL DEFAULT '',
    existing_controls  TEXT    NOT NULL DEFAULT '',
    inherent           TEXT    NOT NULL,
    inherent_level     INTEGER NOT NULL,
    treatment          TEXT    NOT NULL CHECK (treatment IN ('reduce', 'accept', 'transfer', 'avoid')),
    planned_controls   TEXT    NOT NULL DEFAULT '',
    residual           TEXT,
    residual_level     INTEGER,
    level              INTEGER NOT NULL,
    owner_id           BLOB REFERENCES users (id),
    due_date           TEXT,
    review_date        TEXT,
    triggers           TEXT    NOT NULL DEFAULT '[]',
    trigger_notes      TEXT    NOT NULL DEFAULT '',
    acceptance         TEXT,
    method             TEXT    NOT NULL,
    created_at         TEXT    NOT NULL,
    created_by         BLOB,
    updated_at         TEXT    NOT NULL,
    updated_by         BLOB,
    version            INTEGER NOT NULL DEFAULT 1,
    UNIQUE (org_id, code),
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, system_id) REFERENCES systems (org_id, id)
) STRICT;
CREATE INDEX risks_level ON risks (org_id, level);
CREATE INDEX risks_inherent_level ON risks (org_id, inherent_level);
CREATE INDEX risks_system ON risks (org_id, system_id);
CREATE INDEX risks_owner ON risks (org_id, owner_id);
CREATE INDEX risks_review ON risks (org_id, review_date);

-- A composite key to name an asset with its organization.
CREATE UNIQUE INDEX assets_org_id ON assets (org_id, id);

CREATE TABLE risk_zones (
    org_id   BLOB NOT NULL,
    risk_id  BLOB NOT NULL,
    zone_id  BLOB NOT NULL,
    PRIMARY KEY (risk_id, zone_id),
    FOREIGN KEY (org_id, risk_id) REFERENCES risks (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, zone_id) REFERENCES zones (org_id, id)
) STRICT;
CREATE INDEX risk_zones_zone ON risk_zones (org_id, zone_id);

CREATE TABLE risk_assets (
    org_id    BLOB NOT NULL,
    risk_id   BLOB NOT NULL,
    asset_id  BLOB NOT NULL,
    PRIMARY KEY (risk_id, asset_id),
    FOREIGN KEY (org_id, risk_id) REFERENCES risks (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, asset_id) REFERENCES assets (org_id, id)
) STRICT;
CREATE INDEX risk_assets_asset ON risk_assets (org_id, asset_id);
