-- Documents and evidence (issue 6): documents with immutable versions, each version one file
-- stored content-addressed (the `blobs` row names the SHA-256 the blob store files it under),
-- the approval workflow per version, and evidence links from a document to what it proves.

-- An organization's own classification scheme (JSON array of labels); the default applies
-- while an organization has no row.
CREATE TABLE document_settings (
    org_id           UUID    NOT NULL PRIMARY KEY REFERENCES organizations (id),
    classifications  TEXT    NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    updated_by       UUID,
    version          BIGINT NOT NULL DEFAULT 1
);

-- The last document number given per organization: codes are never reused.
CREATE TABLE document_counters (
    org_id    UUID    NOT NULL PRIMARY KEY REFERENCES organizations (id),
    last_seq  BIGINT NOT NULL CHECK (last_seq >= 1)
);

-- One row per stored content (shared by every version, of any organization, with the same
-- bytes): what the blob store holds under sha256/ab/cd/<sha256>.
CREATE TABLE blobs (
    sha256        TEXT    NOT NULL PRIMARY KEY CHECK (length(sha256) = 64),
    size          BIGINT NOT NULL CHECK (size >= 0),
    content_type  TEXT    NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE documents (
    id                UUID    NOT NULL PRIMARY KEY,
    org_id            UUID    NOT NULL REFERENCES organizations (id),
    code              TEXT    NOT NULL,
    title             TEXT    NOT NULL,
    doc_type          TEXT    NOT NULL CHECK (doc_type IN ('policy', 'procedure', 'plan', 'record')),
    classification    TEXT    NOT NULL,
    owner_id          UUID REFERENCES users (id),
    review_months     BIGINT NOT NULL DEFAULT 0 CHECK (review_months >= 0),
    retention_months  BIGINT NOT NULL DEFAULT 0 CHECK (retention_months >= 0),
    next_review       TEXT,
    created_at        TIMESTAMPTZ NOT NULL,
    created_by        UUID,
    updated_at        TIMESTAMPTZ NOT NULL,
    updated_by        UUID,
    version           BIGINT NOT NULL DEFAULT 1,
    UNIQUE (org_id, code),
    UNIQUE (org_id, id)
);
CREATE INDEX documents_type ON documents (org_id, doc_type);
CREATE INDEX documents_review ON documents (org_id, next_review);

CREATE TABLE document_versions (
    id            UUID    NOT NULL PRIMARY KEY,
    org_id        UUID    NOT NULL,
    document_id   UUID    NOT NULL,
    number        BIGINT NOT NULL CHECK (number >= 1),
    status        TEXT    NOT NULL CHECK (status IN ('draft', 'in_review', 'approved', 'superseded', 'withdrawn')),
    sha256        TEXT    NOT NULL REFERENCES blobs (sha256),
    size          BIGINT NOT NULL,
    content_type  TEXT    NOT NULL,
    file_name     TEXT    NOT NULL,
    note          TEXT    NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL,
    created_by    UUID,
    submitted_at  TIMESTAMPTZ,
    submitted_by  UUID,
    approved_at   TIMESTAMPTZ,
    approved_by   UUID,
    closed_at     TIMESTAMPTZ,
    closed_by     UUID,
    UNIQUE (document_id, number),
    FOREIGN KEY (org_id, document_id) REFERENCES documents (org_id, id)
);
CREATE INDEX document_versions_org ON document_versions (org_id, status);
CREATE INDEX document_versions_sha ON document_versions (sha256);
-- At most one approved version per document.
CREATE UNIQUE INDEX document_versions_approved ON document_versions (document_id) WHERE status = 'approved';

CREATE TABLE document_evidence (
    id            UUID NOT NULL PRIMARY KEY,
    org_id        UUID NOT NULL,
    document_id   UUID NOT NULL,
    target_kind   TEXT NOT NULL CHECK (target_kind IN ('requirement', 'control', 'risk', 'soa_item', 'finding')),
    framework     TEXT NOT NULL DEFAULT '',
    target_ref    TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    created_by    UUID,
    UNIQUE (document_id, target_kind, framework, target_ref),
    FOREIGN KEY (org_id, document_id) REFERENCES documents (org_id, id)
);
CREATE INDEX document_evidence_target ON document_evidence (org_id, target_kind, framework, target_ref);
