-- The risk method of each organization, one immutable row per version: a risk records the
-- fingerprint of the method that scored it, so changing the method keeps old assessments
-- readable as they were.
CREATE TABLE risk_methods (
    id           UUID        NOT NULL PRIMARY KEY,
    org_id       UUID        NOT NULL REFERENCES organizations (id),
    seq          BIGINT      NOT NULL CHECK (seq >= 1),
    method       TEXT        NOT NULL,
    fingerprint  TEXT        NOT NULL,
    note         TEXT        NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL,
    created_by   UUID,
    UNIQUE (org_id, seq)
);
CREATE INDEX risk_methods_fingerprint ON risk_methods (org_id, fingerprint);
