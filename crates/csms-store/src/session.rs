//! Web sessions and sign-in throttling. Both live in the database so that several application
//! instances share them.

use base64::Engine;
use csms_domain::auth::lockout_duration;
use csms_domain::trail::{Actor, Change, SYSTEM_CHAIN};
use csms_domain::{Uuid, new_id};
use time::{Duration, OffsetDateTime};

use crate::auth::{random_bytes, secret_hash};
use crate::db::{Ts, on, read};
use crate::{Result, Store, trail};

/// A signed-in browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: Uuid,
    pub user_id: Uuid,
    /// Synchronizer token for forms and htmx requests of this session.
    pub csrf_token: String,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    /// Absolute end of the session, whatever the activity.
    pub expires_at: OffsetDateTime,
    /// Set when the user's privileges changed: the next request gets a new session id.
    pub rotate: bool,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: Uuid,
    user_id: Uuid,
    csrf_token: String,
    created_at: Ts,
    last_seen_at: Ts,
    expires_at: Ts,
    rotate: bool,
}

impl From<SessionRow> for Session {
    fn from(r: SessionRow) -> Self {
        Session {
            id: r.id,
            user_id: r.user_id,
            csrf_token: r.csrf_token,
            created_at: r.created_at.0,
            last_seen_at: r.last_seen_at.0,
            expires_at: r.expires_at.0,
            rotate: r.rotate,
        }
    }
}

fn new_secret() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

impl Store {
    /// Starts a session for a user who just proved who they are; returns it and the secret
    /// for the cookie (only its hash is stored).
    pub async fn create_session(
        &self,
        user_id: Uuid,
        lifetime: Duration,
        client_ip: Option<&str>,
        user_agent: Option<&str>,
    ) -> Result<(Session, String)> {
        let secret = new_secret();
        let now = csms_domain::time::now();
        let session = Session {
            id: new_id(),
            user_id,
            csrf_token: new_secret(),
            created_at: now,
            last_seen_at: now,
            expires_at: now + lifetime,
            rotate: false,
        };
        let ua: Option<String> = user_agent.map(|u| u.chars().take(300).collect());
        let mut tx = self.begin().await?;
        on!(&mut tx, c => sqlx::query(
            "INSERT INTO sessions (id, token_hash, user_id, org_id, csrf_token, created_at, last_seen_at, expires_at, client_ip, user_agent, rotate) \
             VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, $8, $9, FALSE)"
        )
        .bind(session.id)
        .bind(secret_hash(&secret))
        .bind(user_id)
        .bind(&session.csrf_token)
        .bind(Ts(now))
        .bind(Ts(now))
        .bind(Ts(session.expires_at))
        .bind(client_ip)
        .bind(ua.as_deref())
        .execute(&mut *c)
        .await?
        .rows_affected());
        tx.commit().await?;
        Ok((session, secret))
    }

    /// The session a cookie secret belongs to, if any (expiry is the caller's decision).
    pub async fn session_by_secret(&self, secret: &str) -> Result<Option<Session>> {
        let row: Option<SessionRow> = read!(self, p => sqlx::query_as(
            "SELECT id, user_id, csrf_token, created_at, last_seen_at, expires_at, rotate FROM sessions WHERE token_hash = $1"
        ).bind(secret_hash(secret)).fetch_optional(p).await?);
        Ok(row.map(Into::into))
    }

    /// Records activity on a session.
    pub async fn touch_session(&self, id: Uuid, at: OffsetDateTime) -> Result<()> {
        let mut tx = self.begin().await?;
        on!(&mut tx, c => sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
            .bind(Ts(at))
            .bind(id)
            .execute(&mut *c)
            .await?
            .rows_affected());
        tx.commit().await?;
        Ok(())
    }

    /// Gives a session a new secret (and CSRF token), keeping its identity; returns the secret.
    pub async fn rotate_session(&self, id: Uuid) -> Result<(String, String)> {
        let secret = new_secret();
        let csrf = new_secret();
        let mut tx = self.begin().await?;
        on!(&mut tx, c => sqlx::query(
            "UPDATE sessions SET token_hash = $1, csrf_token = $2, rotate = FALSE WHERE id = $3"
        )
        .bind(secret_hash(&secret))
        .bind(&csrf)
        .bind(id)
        .execute(&mut *c)
        .await?
        .rows_affected());
        tx.commit().await?;
        Ok((secret, csrf))
    }

    pub async fn delete_session(&self, id: Uuid) -> Result<()> {
        let mut tx = self.begin().await?;
        on!(&mut tx, c => sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id)
            .execute(&mut *c)
            .await?
            .rows_affected());
        tx.commit().await?;
        Ok(())
    }

    /// Ends every session of a user but one (after they changed their password).
    pub async fn delete_other_sessions(&self, user_id: Uuid, keep: Uuid) -> Result<u64> {
        let mut tx = self.begin().await?;
        let n = on!(&mut tx, c => sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
            .bind(user_id)
            .bind(keep)
            .execute(&mut *c)
            .await?
            .rows_affected());
        tx.commit().await?;
        Ok(n)
    }

    /// Removes sessions past their absolute end or idle longer than `idle`.
    pub async fn delete_expired_sessions(
        &self,
        now: OffsetDateTime,
        idle: Duration,
    ) -> Result<u64> {
        let mut tx = self.begin().await?;
        let n = on!(&mut tx, c => sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2")
            .bind(Ts(now))
            .bind(Ts(now - idle))
            .execute(&mut *c)
            .await?
            .rows_affected());
        tx.commit().await?;
        Ok(n)
    }

    /// Until when a throttle key is locked, if it is.
    pub async fn login_locked_until(&self, key: &str) -> Result<Option<OffsetDateTime>> {
        let row: Option<Option<Ts>> = read!(self, p => sqlx::query_scalar(
            "SELECT locked_until FROM login_throttle WHERE key = $1"
        ).bind(key).fetch_optional(p).await?);
        let now = csms_domain::time::now();
        Ok(row.flatten().map(|t| t.0).filter(|t| *t > now))
    }

    /// Counts a failed sign-in against a key; returns the lock end if the key is now locked.
    /// Failures older than an hour start a new count.
    pub async fn record_login_failure(
        &self,
        key: &str,
        threshold: i64,
    ) -> Result<Option<OffsetDateTime>> {
        let now = csms_domain::time::now();
        let mut tx = self.begin().await?;
        let current: Option<(i64, Ts)> = on!(&mut tx, c => sqlx::query_as(
            "SELECT failures, window_start FROM login_throttle WHERE key = $1"
        ).bind(key).fetch_optional(&mut *c).await?);
        let (failures, window_start) = match current {
            Some((f, start)) if now - start.0 < Duration::hours(1) => (f + 1, start.0),
            _ => (1, now),
        };
        let locked_until = lockout_duration(failures, threshold).map(|d| now + d);
        on!(&mut tx, c => sqlx::query(
            "INSERT INTO login_throttle (key, failures, window_start, locked_until) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (key) DO UPDATE SET failures = $2, window_start = $3, locked_until = $4"
        )
        .bind(key)
        .bind(failures)
        .bind(Ts(window_start))
        .bind(locked_until.map(Ts))
        .execute(&mut *c)
        .await?
        .rows_affected());
        tx.commit().await?;
        Ok(locked_until)
    }

    /// Forgets the failures of a key (after a successful sign-in).
    pub async fn clear_login_failures(&self, key: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        on!(&mut tx, c => sqlx::query("DELETE FROM login_throttle WHERE key = $1")
            .bind(key)
            .execute(&mut *c)
            .await?
            .rows_affected());
        tx.commit().await?;
        Ok(())
    }

    /// Records a security event about a user (sign-in, sign-out, lockout) in the system chain.
    pub async fn record_user_event(
        &self,
        actor: &Actor,
        user_id: Uuid,
        action: &str,
        detail: serde_json::Value,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        trail::append(
            &mut tx,
            self,
            actor,
            Change {
                chain_id: SYSTEM_CHAIN,
                entity_kind: "user".into(),
                entity_id: user_id.to_string(),
                action: action.into(),
                diff: serde_json::json!({ "event": detail }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
