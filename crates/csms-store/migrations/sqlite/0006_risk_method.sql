-- The risk method of each organization, one immutable row per version: a risk records the
-- fingerprint of the method that scored it, so changing the method keeps old assessments
-- readable as they were.
CREATE TABLE risk_methods (
    id           BLOB    NOT NULL PRIMARY KEY,
    org_id       BLOB    NOT NULL REFERENCES organizations (id),
    seq          INTEGER NOT NULL CHECK (seq >= 1),
    method       TEXT    NOT NULL,
    fingerprint  TEXT    NOT NULL,
    note         TEXT    NOT NULL DEFAULT '',
    created_at   TEXT    NOT NULL,
    created_by   BLOB,
    UNIQUE (org_id, seq)
) STRICT;
CREATE INDEX risk_methods_fingerprint ON risk_methods (org_id, fingerprint);
