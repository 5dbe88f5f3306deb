-- OpenCSMS core schema (SQLite). Keys are UUIDs stored as 16-byte blobs; instants are
-- fixed-width UTC text (YYYY-MM-DDTHH:MM:SS.ffffffZ) so that text order is time order.

CREATE TABLE organizations (
    id           BLOB    NOT NULL PRIMARY KEY,
    slug         TEXT    NOT NULL UNIQUE,
    name         TEXT    NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    timezone     TEXT    NOT NULL DEFAULT 'Asia/Tokyo',
    created_at   TEXT    NOT NULL,
    created_by   BLOB,
    updated_at   TEXT    NOT NULL,
    updated_by   BLOB,
    version      INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE users (
    id                   BLOB    NOT NULL PRIMARY KEY,
    username             TEXT    NOT NULL UNIQUE,
    display_name         TEXT    NOT NULL,
    email                TEXT,
    password_hash        TEXT    NOT NULL,
    locale               TEXT,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    disabled_at          TEXT,
    created_at           TEXT    NOT NULL,
    created_by           BLOB,
    updated_at           TEXT    NOT NULL,
    updated_by           BLOB,
    version              INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE memberships (
    id          BLOB    NOT NULL PRIMARY KEY,
    org_id      BLOB    NOT NULL REFERENCES organizations (id),
    user_id     BLOB    NOT NULL REFERENCES users (id),
    role        TEXT    NOT NULL CHECK (role IN ('admin', 'csms_manager', 'contributor', 'auditor', 'viewer')),
    created_at  TEXT    NOT NULL,
    created_by  BLOB,
    updated_at  TEXT    NOT NULL,
    updated_by  BLOB,
    version     INTEGER NOT NULL DEFAULT 1,
    UNIQUE (org_id, user_id)
) STRICT;
CREATE INDEX memberships_user ON memberships (user_id);

-- Web sessions: the cookie carries a random 256-bit id; only its SHA-256 is stored.
CREATE TABLE sessions (
    id            BLOB NOT NULL PRIMARY KEY,
    token_hash    TEXT NOT NULL UNIQUE,
    user_id       BLOB NOT NULL REFERENCES users (id),
    org_id        BLOB REFERENCES organizations (id),
    csrf_token    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    client_ip     TEXT,
    user_agent    TEXT
) STRICT;
CREATE INDEX sessions_user ON sessions (user_id);

-- API tokens for scripts: scoped to one organization and role; only the SHA-256 is stored.
CREATE TABLE api_tokens (
    id            BLOB NOT NULL PRIMARY KEY,
    org_id        BLOB NOT NULL REFERENCES organizations (id),
    user_id       BLOB NOT NULL REFERENCES users (id),
    name          TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'csms_manager', 'contributor', 'auditor', 'viewer')),
    expires_at    TEXT NOT NULL,
    revoked_at    TEXT,
    last_used_at  TEXT,
    created_at    TEXT NOT NULL,
    created_by    BLOB
) STRICT;
CREATE INDEX api_tokens_org ON api_tokens (org_id);

-- The tamper-evident trail. One chain per organization (chain_id = organization id) plus
-- the system chain (the nil UUID) for global entities such as users.
CREATE TABLE trail (
    id           BLOB    NOT NULL PRIMARY KEY,
    chain_id     BLOB    NOT NULL,
    seq          INTEGER NOT NULL,
    at           TEXT    NOT NULL,
    actor_id     BLOB,
    actor        TEXT    NOT NULL,
    entity_kind  TEXT    NOT NULL,
    entity_id    TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    diff         TEXT    NOT NULL,
    prev_hash    TEXT    NOT NULL,
    hash         TEXT    NOT NULL,
    UNIQUE (chain_id, seq)
) STRICT;
CREATE INDEX trail_entity ON trail (chain_id, entity_kind, entity_id);
CREATE INDEX trail_at ON trail (chain_id, at);

-- The last record of each chain, so that deleting records at the end is detected and
-- appends are serialized per chain.
CREATE TABLE trail_heads (
    chain_id  BLOB    NOT NULL PRIMARY KEY,
    seq       INTEGER NOT NULL,
    hash      TEXT    NOT NULL
) STRICT;

CREATE TRIGGER trail_no_update BEFORE UPDATE ON trail
BEGIN
    SELECT RAISE(ABORT, 'the trail is append-only');
END;
CREATE TRIGGER trail_no_delete BEFORE DELETE ON trail
BEGIN
    SELECT RAISE(ABORT, 'the trail is append-only');
END;
