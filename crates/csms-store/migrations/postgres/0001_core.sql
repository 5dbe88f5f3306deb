-- OpenCSMS core schema (PostgreSQL).

CREATE TABLE organizations (
    id           UUID        NOT NULL PRIMARY KEY,
    slug         TEXT        NOT NULL UNIQUE,
    name         TEXT        NOT NULL,
    description  TEXT        NOT NULL DEFAULT '',
    timezone     TEXT        NOT NULL DEFAULT 'Asia/Tokyo',
    created_at   TIMESTAMPTZ NOT NULL,
    created_by   UUID,
    updated_at   TIMESTAMPTZ NOT NULL,
    updated_by   UUID,
    version      BIGINT      NOT NULL DEFAULT 1
);

CREATE TABLE users (
    id                   UUID        NOT NULL PRIMARY KEY,
    username             TEXT        NOT NULL UNIQUE,
    display_name         TEXT        NOT NULL,
    email                TEXT,
    password_hash        TEXT        NOT NULL,
    locale               TEXT,
    must_change_password BOOLEAN     NOT NULL DEFAULT FALSE,
    disabled_at          TIMESTAMPTZ,
    created_at           TIMESTAMPTZ NOT NULL,
    created_by           UUID,
    updated_at           TIMESTAMPTZ NOT NULL,
    updated_by           UUID,
    version              BIGINT      NOT NULL DEFAULT 1
);

CREATE TABLE memberships (
    id          UUID        NOT NULL PRIMARY KEY,
    org_id      UUID        NOT NULL REFERENCES organizations (id),
    user_id     UUID        NOT NULL REFERENCES users (id),
    role        TEXT        NOT NULL CHECK (role IN ('admin', 'csms_manager', 'contributor', 'auditor', 'viewer')),
    created_at  TIMESTAMPTZ NOT NULL,
    created_by  UUID,
    updated_at  TIMESTAMPTZ NOT NULL,
    updated_by  UUID,
    version     BIGINT      NOT NULL DEFAULT 1,
    UNIQUE (org_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE sessions (
    id            UUID        NOT NULL PRIMARY KEY,
    token_hash    TEXT        NOT NULL UNIQUE,
    user_id       UUID        NOT NULL REFERENCES users (id),
    org_id        UUID        REFERENCES organizations (id),
    csrf_token    TEXT        NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    last_seen_at  TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    client_ip     TEXT,
    user_agent    TEXT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id            UUID        NOT NULL PRIMARY KEY,
    org_id        UUID        NOT NULL REFERENCES organizations (id),
    user_id       UUID        NOT NULL REFERENCES users (id),
    name          TEXT        NOT NULL,
    token_hash    TEXT        NOT NULL UNIQUE,
    role          TEXT        NOT NULL CHECK (role IN ('admin', 'csms_manager', 'contributor', 'auditor', 'viewer')),
    expires_at    TIMESTAMPTZ NOT NULL,
    revoked_at    TIMESTAMPTZ,
    last_used_at  TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL,
    created_by    UUID
);
CREATE INDEX api_tokens_org ON api_tokens (org_id);

CREATE TABLE trail (
    id           UUID        NOT NULL PRIMARY KEY,
    chain_id     UUID        NOT NULL,
    seq          BIGINT      NOT NULL,
    at           TIMESTAMPTZ NOT NULL,
    actor_id     UUID,
    actor        TEXT        NOT NULL,
    entity_kind  TEXT        NOT NULL,
    entity_id    TEXT        NOT NULL,
    action       TEXT        NOT NULL,
    diff         TEXT        NOT NULL,
    prev_hash    TEXT        NOT NULL,
    hash         TEXT        NOT NULL,
    UNIQUE (chain_id, seq)
);
CREATE INDEX trail_entity ON trail (chain_id, entity_kind, entity_id);
CREATE INDEX trail_at ON trail (chain_id, at);

CREATE TABLE trail_heads (
    chain_id  UUID   NOT NULL PRIMARY KEY,
    seq       BIGINT NOT NULL,
    hash      TEXT   NOT NULL
);

CREATE FUNCTION trail_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the trail is append-only';
END;
$$;
CREATE TRIGGER trail_no_update_delete BEFORE UPDATE OR DELETE ON trail
    FOR EACH ROW EXECUTE FUNCTION trail_append_only();
CREATE TRIGGER trail_no_truncate BEFORE TRUNCATE ON trail
    FOR EACH STATEMENT EXECUTE FUNCTION trail_append_only();
