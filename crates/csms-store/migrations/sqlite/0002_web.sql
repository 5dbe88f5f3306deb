-- Web sign-in: per-user time zone, session rotation flag, and sign-in throttling shared by
-- every application instance.

ALTER TABLE users ADD COLUMN timezone TEXT;

ALTER TABLE sessions ADD COLUMN rotate INTEGER NOT NULL DEFAULT 0;

-- One row per throttled key: `user:<name>` or `addr:<ip>`.
CREATE TABLE login_throttle (
    key           TEXT    NOT NULL PRIMARY KEY,
    failures      INTEGER NOT NULL,
    window_start  TEXT    NOT NULL,
    locked_until  TEXT
) STRICT;
