-- Web sign-in: per-user time zone, session rotation flag, and sign-in throttling shared by
-- every application instance.

ALTER TABLE users ADD COLUMN timezone TEXT;

ALTER TABLE sessions ADD COLUMN rotate BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE login_throttle (
    key           TEXT        NOT NULL PRIMARY KEY,
    failures      BIGINT      NOT NULL,
    window_start  TIMESTAMPTZ NOT NULL,
    locked_until  TIMESTAMPTZ
);
