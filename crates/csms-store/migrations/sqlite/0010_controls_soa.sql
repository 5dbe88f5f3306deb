-- Controls and the Statement of Applicability (issue 6).
--
-- A control names its requirements (framework id and node ref, checked against the
-- organization's catalogs by the application), risks, zones and assets; the link tables name
-- risks, zones and assets with the organization, (org_id, x_id), so that the database itself
-- refuses another organization's rows. Deleting a risk, zone or asset drops its control links.
--
-- A statement has versions per organization and framework: at most one draft (a partial
-- unique index), approved versions numbered 1, 2, ... and never changed afterwards (the
-- application refuses every write to them). Items name their controls with the organization;
-- a control an item names cannot be deleted. The risks an item names are kept as a snapshot
-- (id, code, title) in the item, so an approved version reads the same after a risk changes.

-- The last control code number given per organization: never reused, even after a delete.
CREATE TABLE control_counters (
    org_id    BLOB    NOT NULL PRIMARY KEY REFERENCES organizations (id),
    last_seq  INTEGER NOT NULL CHECK (last_seq >= 1)
) STRICT;

CREATE TABLE controls (
    id           BLOB    NOT NULL PRIMARY KEY,
    org_id       BLOB    NOT NULL REFERENCES organizations (id),
    code         TEXT    NOT NULL,
    title        TEXT    NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    status       TEXT    NOT NULL CHECK (status IN ('planned', 'implemented', 'operating', 'retired')),
    owner_id     BLOB REFERENCES users (id),
    due_date     TEXT,
    created_at   TEXT    NOT NULL,
    created_by   BLOB,
    updated_at   TEXT    NOT NULL,
    updated_by   BLOB,
    version      INTEGER NOT NULL DEFAULT 1,
    UNIQUE (org_id, code),
    UNIQUE (org_id, id)
) STRICT;
CREATE INDEX controls_owner ON controls (org_id, owner_id);
CREATE INDEX controls_status ON controls (org_id, status);

CREATE TABLE control_requirements (
    org_id      BLOB NOT NULL,
    control_id  BLOB NOT NULL,
    framework   TEXT NOT NULL,
    node_ref    TEXT NOT NULL,
    PRIMARY KEY (control_id, framework, node_ref),
    FOREIGN KEY (org_id, control_id) REFERENCES controls (org_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX control_requirements_ref ON control_requirements (org_id, framework, node_ref);

CREATE TABLE control_risks (
    org_id      BLOB NOT NULL,
    control_id  BLOB NOT NULL,
    risk_id     BLOB NOT NULL,
    PRIMARY KEY (control_id, risk_id),
    FOREIGN KEY (org_id, control_id) REFERENCES controls (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, risk_id) REFERENCES risks (org_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX control_risks_risk ON control_risks (org_id, risk_id);

CREATE TABLE control_zones (
    org_id      BLOB NOT NULL,
    control_id  BLOB NOT NULL,
    zone_id     BLOB NOT NULL,
    PRIMARY KEY (control_id, zone_id),
    FOREIGN KEY (org_id, control_id) REFERENCES controls (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, zone_id) REFERENCES zones (org_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX control_zones_zone ON control_zones (org_id, zone_id);

CREATE TABLE control_assets (
    org_id      BLOB NOT NULL,
    control_id  BLOB NOT NULL,
    asset_id    BLOB NOT NULL,
    PRIMARY KEY (control_id, asset_id),
    FOREIGN KEY (org_id, control_id) REFERENCES controls (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, asset_id) REFERENCES assets (org_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX control_assets_asset ON control_assets (org_id, asset_id);

CREATE TABLE soa_versions (
    id                BLOB    NOT NULL PRIMARY KEY,
    org_id            BLOB    NOT NULL REFERENCES organizations (id),
    framework         TEXT    NOT NULL,
    number            INTEGER,
    state             TEXT    NOT NULL CHECK (state IN ('draft', 'approved')),
    note              TEXT    NOT NULL DEFAULT '',
    approved_at       TEXT,
    approved_by       BLOB REFERENCES users (id),
    approved_by_name  TEXT    NOT NULL DEFAULT '',
    based_on          BLOB,
    created_at        TEXT    NOT NULL,
    created_by        BLOB,
    updated_at        TEXT    NOT NULL,
    updated_by        BLOB,
    version           INTEGER NOT NULL DEFAULT 1,
    UNIQUE (org_id, id),
    UNIQUE (org_id, framework, number),
    CHECK ((state = 'draft' AND number IS NULL) OR (state = 'approved' AND number IS NOT NULL AND approved_at IS NOT NULL)),
    FOREIGN KEY (org_id, based_on) REFERENCES soa_versions (org_id, id)
) STRICT;
-- At most one draft per organization and framework.
CREATE UNIQUE INDEX soa_versions_one_draft ON soa_versions (org_id, framework) WHERE state = 'draft';

CREATE TABLE soa_items (
    id            BLOB    NOT NULL PRIMARY KEY,
    org_id        BLOB    NOT NULL,
    version_id    BLOB    NOT NULL,
    position      INTEGER NOT NULL,
    node_ref      TEXT    NOT NULL,
    additional    INTEGER NOT NULL DEFAULT 0,
    title         TEXT    NOT NULL DEFAULT '',
    applicability TEXT    NOT NULL CHECK (applicability IN ('undecided', 'applicable', 'excluded')),
    reasons       TEXT    NOT NULL DEFAULT '[]',
    reason_text   TEXT    NOT NULL DEFAULT '',
    risks         TEXT    NOT NULL DEFAULT '[]',
    exclusion     TEXT    NOT NULL DEFAULT '',
    status        TEXT    NOT NULL CHECK (status IN ('not_started', 'planned', 'partial', 'implemented')),
    updated_at    TEXT    NOT NULL,
    updated_by    BLOB,
    version       INTEGER NOT NULL DEFAULT 1,
    UNIQUE (version_id, node_ref),
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, version_id) REFERENCES soa_versions (org_id, id)
) STRICT;
CREATE INDEX soa_items_version ON soa_items (version_id, position);

CREATE TABLE soa_item_controls (
    org_id      BLOB NOT NULL,
    item_id     BLOB NOT NULL,
    control_id  BLOB NOT NULL,
    PRIMARY KEY (item_id, control_id),
    FOREIGN KEY (org_id, item_id) REFERENCES soa_items (org_id, id),
    FOREIGN KEY (org_id, control_id) REFERENCES controls (org_id, id)
) STRICT;
CREATE INDEX soa_item_controls_control ON soa_item_controls (org_id, control_id);
