-- Catalogs an organization imported, licensed wording, and conformance assessments.

-- A framework or mapping set an organization imported (CISO Assistant library or our own
-- format), kept as the checked catalog in JSON. Shipped catalogs live in the binary.
CREATE TABLE org_catalogs (
    id              BLOB    NOT NULL PRIMARY KEY,
    org_id          BLOB    NOT NULL REFERENCES organizations (id),
    kind            TEXT    NOT NULL CHECK (kind IN ('framework', 'mapping')),
    ref_id          TEXT    NOT NULL,
    name_ja         TEXT    NOT NULL,
    name_en         TEXT    NOT NULL,
    source_name     TEXT    NOT NULL,
    content         TEXT    NOT NULL,
    content_sha256  TEXT    NOT NULL,
    node_count      INTEGER NOT NULL,
    created_at      TEXT    NOT NULL,
    created_by      BLOB,
    updated_at      TEXT    NOT NULL,
    updated_by      BLOB,
    version         INTEGER NOT NULL DEFAULT 1,
    UNIQUE (org_id, kind, ref_id)
) STRICT;

-- The official wording of a node, held by an organization under its own licence; shown to
-- that organization only and never shipped.
CREATE TABLE licensed_wording (
    id            BLOB    NOT NULL PRIMARY KEY,
    org_id        BLOB    NOT NULL REFERENCES organizations (id),
    framework_id  TEXT    NOT NULL,
    node_ref      TEXT    NOT NULL,
    lang          TEXT    NOT NULL CHECK (lang IN ('ja', 'en')),
    body          TEXT    NOT NULL,
    source        TEXT    NOT NULL DEFAULT '',
    created_at    TEXT    NOT NULL,
    created_by    BLOB,
    updated_at    TEXT    NOT NULL,
    updated_by    BLOB,
    version       INTEGER NOT NULL DEFAULT 1,
    UNIQUE (org_id, framework_id, node_ref, lang)
) STRICT;

CREATE TABLE assessments (
    id             BLOB    NOT NULL PRIMARY KEY,
    org_id         BLOB    NOT NULL REFERENCES organizations (id),
    framework_id   TEXT    NOT NULL,
    title          TEXT    NOT NULL,
    scope          TEXT    NOT NULL DEFAULT '',
    period_start   TEXT,
    period_end     TEXT,
    assessors      TEXT    NOT NULL DEFAULT '',
    status         TEXT    NOT NULL CHECK (status IN ('in_progress', 'approved')),
    approved_at    TEXT,
    approved_by    BLOB REFERENCES users (id),
    approval_note  TEXT    NOT NULL DEFAULT '',
    created_at     TEXT    NOT NULL,
    created_by     BLOB,
    updated_at     TEXT    NOT NULL,
    updated_by     BLOB,
    version        INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX assessments_org ON assessments (org_id);

-- One row per assessable requirement, created with the assessment.
CREATE TABLE assessment_results (
    id             BLOB    NOT NULL PRIMARY KEY,
    assessment_id  BLOB    NOT NULL REFERENCES assessments (id),
    node_ref       TEXT    NOT NULL,
    outcome        TEXT    NOT NULL CHECK (outcome IN ('not_assessed', 'conformant', 'partial', 'nonconformant', 'not_applicable')),
    maturity       INTEGER,
    notes          TEXT    NOT NULL DEFAULT '',
    owner_id       BLOB REFERENCES users (id),
    due_date       TEXT,
    created_at     TEXT    NOT NULL,
    created_by     BLOB,
    updated_at     TEXT    NOT NULL,
    updated_by     BLOB,
    version        INTEGER NOT NULL DEFAULT 1,
    UNIQUE (assessment_id, node_ref)
) STRICT;

CREATE TABLE evidence_links (
    id             BLOB    NOT NULL PRIMARY KEY,
    assessment_id  BLOB    NOT NULL REFERENCES assessments (id),
    node_ref       TEXT    NOT NULL,
    label          TEXT    NOT NULL,
    location       TEXT    NOT NULL DEFAULT '',
    created_at     TEXT    NOT NULL,
    created_by     BLOB
) STRICT;
CREATE INDEX evidence_links_node ON evidence_links (assessment_id, node_ref);

-- The tally of an assessment at the end of each day it changed (progress over time).
CREATE TABLE assessment_progress (
    assessment_id   BLOB    NOT NULL REFERENCES assessments (id),
    day             TEXT    NOT NULL,
    total           INTEGER NOT NULL,
    conformant      INTEGER NOT NULL,
    partial         INTEGER NOT NULL,
    nonconformant   INTEGER NOT NULL,
    not_applicable  INTEGER NOT NULL,
    not_assessed    INTEGER NOT NULL,
    PRIMARY KEY (assessment_id, day)
) STRICT;
