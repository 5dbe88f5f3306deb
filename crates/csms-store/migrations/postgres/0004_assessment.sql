-- Catalogs an organization imported, licensed wording, and conformance assessments.

-- A framework or mapping set an organization imported (CISO Assistant library or our own
-- format), kept as the checked catalog in JSON. Shipped catalogs live in the binary.
CREATE TABLE org_catalogs (
    id              UUID        NOT NULL PRIMARY KEY,
    org_id          UUID        NOT NULL REFERENCES organizations (id),
    kind            TEXT    NOT NULL CHECK (kind IN ('framework', 'mapping')),
    ref_id          TEXT    NOT NULL,
    name_ja         TEXT    NOT NULL,
    name_en         TEXT    NOT NULL,
    source_name     TEXT    NOT NULL,
    content         TEXT    NOT NULL,
    content_sha256  TEXT    NOT NULL,
    node_count      BIGINT NOT NULL,
    created_at      TIMESTAMPTZ    NOT NULL,
    created_by      UUID,
    updated_at      TIMESTAMPTZ    NOT NULL,
    updated_by      UUID,
    version         BIGINT NOT NULL DEFAULT 1,
    UNIQUE (org_id, kind, ref_id)
);

-- The official wording of a node, held by an organization under its own licence; shown to
-- that organization only and never shipped.
CREATE TABLE licensed_wording (
    id            UUID        NOT NULL PRIMARY KEY,
    org_id        UUID        NOT NULL REFERENCES organizations (id),
    framework_id  TEXT    NOT NULL,
    node_ref      TEXT    NOT NULL,
    lang          TEXT    NOT NULL CHECK (lang IN ('ja', 'en')),
    body          TEXT    NOT NULL,
    source        TEXT    NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ    NOT NULL,
    created_by    UUID,
    updated_at    TIMESTAMPTZ    NOT NULL,
    updated_by    UUID,
    version       BIGINT NOT NULL DEFAULT 1,
    UNIQUE (org_id, framework_id, node_ref, lang)
);

CREATE TABLE assessments (
    id             UUID        NOT NULL PRIMARY KEY,
    org_id         UUID        NOT NULL REFERENCES organizations (id),
    framework_id   TEXT    NOT NULL,
    title          TEXT    NOT NULL,
    scope          TEXT    NOT NULL DEFAULT '',
    period_start   TEXT,
    period_end     TEXT,
    assessors      TEXT    NOT NULL DEFAULT '',
    status         TEXT    NOT NULL CHECK (status IN ('in_progress', 'approved')),
    approved_at    TIMESTAMPTZ,
    approved_by    UUID REFERENCES users (id),
    approval_note  TEXT    NOT NULL DEFAULT '',
    created_at     TIMESTAMPTZ    NOT NULL,
    created_by     UUID,
    updated_at     TIMESTAMPTZ    NOT NULL,
    updated_by     UUID,
    version        BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX assessments_org ON assessments (org_id);

-- One row per assessable requirement, created with the assessment.
CREATE TABLE assessment_results (
    id             UUID        NOT NULL PRIMARY KEY,
    assessment_id  UUID        NOT NULL REFERENCES assessments (id),
    node_ref       TEXT    NOT NULL,
    outcome        TEXT    NOT NULL CHECK (outcome IN ('not_assessed', 'conformant', 'partial', 'nonconformant', 'not_applicable')),
    maturity       BIGINT,
    notes          TEXT    NOT NULL DEFAULT '',
    owner_id       UUID REFERENCES users (id),
    due_date       TEXT,
    created_at     TIMESTAMPTZ    NOT NULL,
    created_by     UUID,
    updated_at     TIMESTAMPTZ    NOT NULL,
    updated_by     UUID,
    version        BIGINT NOT NULL DEFAULT 1,
    UNIQUE (assessment_id, node_ref)
);

CREATE TABLE evidence_links (
    id             UUID        NOT NULL PRIMARY KEY,
    assessment_id  UUID        NOT NULL REFERENCES assessments (id),
    node_ref       TEXT    NOT NULL,
    label          TEXT    NOT NULL,
    location       TEXT    NOT NULL DEFAULT '',
    created_at     TIMESTAMPTZ    NOT NULL,
    created_by     UUID
);
CREATE INDEX evidence_links_node ON evidence_links (assessment_id, node_ref);

-- The tally of an assessment at the end of each day it changed (progress over time).
CREATE TABLE assessment_progress (
    assessment_id   UUID        NOT NULL REFERENCES assessments (id),
    day             TEXT    NOT NULL,
    total           BIGINT NOT NULL,
    conformant      BIGINT NOT NULL,
    partial         BIGINT NOT NULL,
    nonconformant   BIGINT NOT NULL,
    not_applicable  BIGINT NOT NULL,
    not_assessed    BIGINT NOT NULL,
    PRIMARY KEY (assessment_id, day)
);
