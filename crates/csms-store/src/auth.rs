//! Users, memberships, passwords and API tokens.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use csms_domain::auth::{ApiToken, Membership, Role, User, validate_password, validate_username};
use csms_domain::org::validate_name;
use csms_domain::trail::{Actor, Change, SYSTEM_CHAIN};
use csms_domain::{Uuid, new_id};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::db::{Ts, on, read};
use crate::{Result, Store, StoreError, trail};

/// Hashes a password with Argon2id (OWASP parameters, salt from the OS). CPU-heavy: call it
/// off the async executor ([`hash_password_blocking`]).
pub fn hash_password(password: &str) -> String {
    Argon2::default()
        .hash_password(password.as_bytes())
        .expect("Argon2 with default parameters and an OS salt cannot fail")
        .to_string()
}

/// Checks a password against a stored PHC string.
pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// [`hash_password`] on tokio's blocking pool.
pub async fn hash_password_blocking(password: String) -> String {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .expect("password hashing does not panic")
}

/// `n` random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).expect("the operating system provides randomness");
    b
}

/// SHA-256 of a secret, hex-encoded: how session ids and API tokens are stored.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A password generated for a new account: 20 characters from an alphabet without look-alikes
/// (about 115 bits).
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    random_bytes::<20>()
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: Uuid,
    username: String,
    display_name: String,
    email: Option<String>,
    locale: Option<String>,
    timezone: Option<String>,
    must_change_password: bool,
    disabled_at: Option<Ts>,
    created_at: Ts,
    created_by: Option<Uuid>,
    updated_at: Ts,
    updated_by: Option<Uuid>,
    version: i64,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            id: r.id,
            username: r.username,
            display_name: r.display_name,
            email: r.email,
            locale: r.locale,
            timezone: r.timezone,
            must_change_password: r.must_change_password,
            disabled_at: r.disabled_at.map(|t| t.0),
            created_at: r.created_at.0,
            created_by: r.created_by,
            updated_at: r.updated_at.0,
            updated_by: r.updated_by,
            version: r.version,
        }
    }
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    #[sqlx(flatten)]
    user: UserRow,
    role: String,
}

#[derive(sqlx::FromRow)]
struct TokenAuthRow {
    #[sqlx(flatten)]
    token: TokenRow,
    #[sqlx(flatten)]
    user: AuthUserRow,
    member_role: Option<String>,
}

/// The user columns of the token lookup, renamed so they do not clash with the token's.
#[derive(sqlx::FromRow)]
struct AuthUserRow {
    u_id: Uuid,
    u_username: String,
    u_display_name: String,
    u_email: Option<String>,
    u_locale: Option<String>,
    u_timezone: Option<String>,
    u_must_change_password: bool,
    u_disabled_at: Option<Ts>,
    u_created_at: Ts,
    u_created_by: Option<Uuid>,
    u_updated_at: Ts,
    u_updated_by: Option<Uuid>,
    u_version: i64,
}

impl From<AuthUserRow> for User {
    fn from(r: AuthUserRow) -> Self {
        UserRow {
            id: r.u_id,
            username: r.u_username,
            display_name: r.u_display_name,
            email: r.u_email,
            locale: r.u_locale,
            timezone: r.u_timezone,
            must_change_password: r.u_must_change_password,
            disabled_at: r.u_disabled_at,
            created_at: r.u_created_at,
            created_by: r.u_created_by,
            updated_at: r.u_updated_at,
            updated_by: r.u_updated_by,
            version: r.u_version,
        }
        .into()
    }
}

#[derive(sqlx::FromRow)]
struct MembershipRow {
    id: Uuid,
    org_id: Uuid,
    user_id: Uuid,
    role: String,
    created_at: Ts,
    created_by: Option<Uuid>,
    updated_at: Ts,
    updated_by: Option<Uuid>,
    version: i64,
}

impl TryFrom<MembershipRow> for Membership {
    type Error = StoreError;
    fn try_from(r: MembershipRow) -> Result<Self> {
        Ok(Membership {
            id: r.id,
            org_id: r.org_id,
            user_id: r.user_id,
            role: r.role.parse()?,
            created_at: r.created_at.0,
            created_by: r.created_by,
            updated_at: r.updated_at.0,
            updated_by: r.updated_by,
            version: r.version,
        })
    }
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: Uuid,
    org_id: Uuid,
    user_id: Uuid,
    name: String,
    role: String,
    expires_at: Ts,
    revoked_at: Option<Ts>,
    last_used_at: Option<Ts>,
    created_at: Ts,
    created_by: Option<Uuid>,
}

impl TryFrom<TokenRow> for ApiToken {
    type Error = StoreError;
    fn try_from(r: TokenRow) -> Result<Self> {
        Ok(ApiToken {
            id: r.id,
            org_id: r.org_id,
            user_id: r.user_id,
            name: r.name,
            role: r.role.parse()?,
            expires_at: r.expires_at.0,
            revoked_at: r.revoked_at.map(|t| t.0),
            last_used_at: r.last_used_at.map(|t| t.0),
            created_at: r.created_at.0,
            created_by: r.created_by,
        })
    }
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub password: String,
    pub must_change_password: bool,
}

/// A member of an organization, with the user's name for listings.
#[derive(Debug, Clone)]
pub struct Member {
    pub user: User,
    pub role: Role,
}

/// An API token as created: the secret is returned once and never stored.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: ApiToken,
    pub secret: String,
}

const USER_COLUMNS_SQL: &str = "SELECT id, username, display_name, email, locale, timezone, must_change_password, disabled_at, created_at, created_by, updated_at, updated_by, version FROM users";

impl Store {
    /// Creates a user. Users are global; their changes go to the system chain.
    pub async fn create_user(&self, actor: &Actor, new: NewUser) -> Result<User> {
        validate_username(&new.username)?;
        validate_name("display_name", &new.display_name)?;
        validate_password(&new.password)?;
        let hash = hash_password_blocking(new.password).await;
        let now = csms_domain::time::now();
        let user = User {
            id: new_id(),
            username: new.username,
            display_name: new.display_name.trim().to_owned(),
            email: new.email.filter(|e| !e.trim().is_empty()),
            locale: None,
            timezone: None,
            must_change_password: new.must_change_password,
            disabled_at: None,
            created_at: now,
            created_by: actor.user_id,
            updated_at: now,
            updated_by: actor.user_id,
            version: 1,
        };
        let mut tx = self.begin().await?;
        on!(&mut tx, c => sqlx::query(
            "INSERT INTO users (id, username, display_name, email, password_hash, locale, must_change_password, disabled_at, created_at, created_by, updated_at, updated_by, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        )
        .bind(user.id)
        .bind(&user.username)
        .bind(&user.display_name)
        .bind(&user.email)
        .bind(&hash)
        .bind(&user.locale)
        .bind(user.must_change_password)
        .bind(None::<Ts>)
        .bind(Ts(user.created_at))
        .bind(user.created_by)
        .bind(Ts(user.updated_at))
        .bind(user.updated_by)
        .bind(user.version)
        .execute(&mut *c)
        .await
        .map_err(|e| StoreError::unique(e, "user", "user name", &user.username))?.rows_affected());
        trail::append(
            &mut tx,
            self,
            actor,
            Change::of(SYSTEM_CHAIN, "create", None, Some(&user)),
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    pub async fn user_by_username(&self, username: &str) -> Result<User> {
        let row: Option<UserRow> = read!(self, p => sqlx::query_as(
            sqlx::AssertSqlSafe(format!("{USER_COLUMNS_SQL} WHERE username = $1"))
        ).bind(username).fetch_optional(p).await?);
        row.map(Into::into).ok_or_else(|| StoreError::NotFound {
            kind: "user",
            id: username.to_owned(),
        })
    }

    pub async fn user(&self, id: Uuid) -> Result<User> {
        let row: Option<UserRow> = read!(self, p => sqlx::query_as(
            sqlx::AssertSqlSafe(format!("{USER_COLUMNS_SQL} WHERE id = $1"))
        ).bind(id).fetch_optional(p).await?);
        row.map(Into::into).ok_or_else(|| StoreError::NotFound {
            kind: "user",
            id: id.to_string(),
        })
    }

    pub async fn users(&self) -> Result<Vec<User>> {
        let rows: Vec<UserRow> = read!(self, p => sqlx::query_as(
            sqlx::AssertSqlSafe(format!("{USER_COLUMNS_SQL} ORDER BY username"))
        ).fetch_all(p).await?);
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Checks a user name and password; `None` for an unknown user, a wrong password or a
    /// disabled account (the caller cannot tell which, by design).
    pub async fn verify_credentials(&self, username: &str, password: &str) -> Result<Option<User>> {
        let row: Option<(Uuid, String)> = read!(self, p => sqlx::query_as(
            "SELECT id, password_hash FROM users WHERE username = $1 AND disabled_at IS NULL"
        ).bind(username).fetch_optional(p).await?);
        // Hash even for unknown users so response time does not reveal which names exist.
        let (id, phc) = match row {
            Some(r) => r,
            None => (Uuid::nil(), DUMMY_HASH.to_owned()),
        };
        let password = password.to_owned();
        let ok = tokio::task::spawn_blocking(move || verify_password(&password, &phc))
            .await
            .expect("password verification does not panic");
        if ok && !id.is_nil() {
            Ok(Some(self.user(id).await?))
        } else {
            Ok(None)
        }
    }

    /// Sets a user's password and ends their sessions.
    pub async fn set_password(
        &self,
        actor: &Actor,
        username: &str,
        password: String,
        must_change: bool,
    ) -> Result<User> {
        validate_password(&password)?;
        let hash = hash_password_blocking(password).await;
        self.change_user(
            actor,
            username,
            "password_change",
            |u| {
                u.must_change_password = must_change;
            },
            Some(hash),
        )
        .await
    }

    /// Disables a user: they can no longer sign in or use their tokens, and their sessions end.
    pub async fn disable_user(&self, actor: &Actor, username: &str) -> Result<User> {
        self.change_user(
            actor,
            username,
            "disable",
            |u| {
                if u.disabled_at.is_none() {
                    u.disabled_at = Some(csms_domain::time::now());
                }
            },
            None,
        )
        .await
    }

    /// Re-enables a disabled user.
    pub async fn enable_user(&self, actor: &Actor, username: &str) -> Result<User> {
        self.change_user(actor, username, "enable", |u| u.disabled_at = None, None)
            .await
    }

    async fn change_user(
        &self,
        actor: &Actor,
        username: &str,
        action: &str,
        edit: impl FnOnce(&mut User),
        new_password_hash: Option<String>,
    ) -> Result<User> {
        let mut tx = self.begin().await?;
        let row: Option<UserRow> = on!(&mut tx, c => sqlx::query_as(
            sqlx::AssertSqlSafe(format!("{USER_COLUMNS_SQL} WHERE username = $1"))
        ).bind(username).fetch_optional(&mut *c).await?);
        let before: User = row
            .ok_or_else(|| StoreError::NotFound {
                kind: "user",
                id: username.to_owned(),
            })?
            .into();
        let mut after = before.clone();
        edit(&mut after);
        after.updated_at = csms_domain::time::now();
        after.updated_by = actor.user_id;
        after.version += 1;
        on!(&mut tx, c => {
            sqlx::query(
                "UPDATE users SET must_change_password = $1, disabled_at = $2, updated_at = $3, updated_by = $4, version = version + 1, \
                 password_hash = COALESCE($5, password_hash) WHERE id = $6 AND version = $7"
            )
            .bind(after.must_change_password)
            .bind(after.disabled_at.map(Ts))
            .bind(Ts(after.updated_at))
            .bind(after.updated_by)
            .bind(new_password_hash.as_deref())
            .bind(after.id)
            .bind(before.version)
            .execute(&mut *c)
            .await?;
            if new_password_hash.is_some() || after.disabled_at.is_some() {
                sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                    .bind(after.id)
                    .execute(&mut *c)
                    .await?;
            }
        });
        let mut change = Change::of(SYSTEM_CHAIN, action, Some(&before), Some(&after));
        if new_password_hash.is_some() {
            // Never the hash itself: only that the password changed.
            if let Some(after) = change.diff.get_mut("after").and_then(|a| a.as_object_mut()) {
                after.insert("password".into(), "changed".into());
            }
        }
        trail::append(&mut tx, self, actor, change).await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Gives a user a role in an organization (or changes it).
    pub async fn set_membership(
        &self,
        actor: &Actor,
        org_id: Uuid,
        user_id: Uuid,
        role: Role,
    ) -> Result<Membership> {
        let mut tx = self.begin().await?;
        let existing: Option<MembershipRow> = on!(&mut tx, c => sqlx::query_as(
            "SELECT id, org_id, user_id, role, created_at, created_by, updated_at, updated_by, version \
             FROM memberships WHERE org_id = $1 AND user_id = $2"
        ).bind(org_id).bind(user_id).fetch_optional(&mut *c).await?);
        let now = csms_domain::time::now();
        let admins: i64 = on!(&mut tx, c => sqlx::query_scalar(
            "SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND role = 'admin'"
        ).bind(org_id).fetch_one(&mut *c).await?);
        if let Some(row) = &existing {
            csms_domain::auth::check_admin_kept(admins, row.role == "admin", role == Role::Admin)?;
        }
        // Privileges change: every session of the user gets a new id at its next request.
        on!(&mut tx, c => sqlx::query("UPDATE sessions SET rotate = TRUE WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *c)
            .await?
            .rows_affected());
        let (before, after) = match existing {
            Some(row) => {
                let before: Membership = row.try_into()?;
                let mut after = before.clone();
                after.role = role;
                after.updated_at = now;
                after.updated_by = actor.user_id;
                after.version += 1;
                on!(&mut tx, c => sqlx::query(
                    "UPDATE memberships SET role = $1, updated_at = $2, updated_by = $3, version = version + 1 WHERE id = $4"
                )
                .bind(role.as_str())
                .bind(Ts(now))
                .bind(actor.user_id)
                .bind(before.id)
                .execute(&mut *c)
                .await?.rows_affected());
                (Some(before), after)
            }
            None => {
                let m = Membership {
                    id: new_id(),
                    org_id,
                    user_id,
                    role,
                    created_at: now,
                    created_by: actor.user_id,
                    updated_at: now,
                    updated_by: actor.user_id,
                    version: 1,
                };
                on!(&mut tx, c => sqlx::query(
                    "INSERT INTO memberships (id, org_id, user_id, role, created_at, created_by, updated_at, updated_by, version) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                )
                .bind(m.id)
                .bind(m.org_id)
                .bind(m.user_id)
                .bind(m.role.as_str())
                .bind(Ts(now))
                .bind(m.created_by)
                .bind(Ts(now))
                .bind(m.updated_by)
                .bind(m.version)
                .execute(&mut *c)
                .await?.rows_affected());
                (None, m)
            }
        };
        let action = if before.is_some() { "update" } else { "create" };
        trail::append(
            &mut tx,
            self,
            actor,
            Change::of(org_id, action, before.as_ref(), Some(&after)),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Takes a user out of an organization (their API tokens for it stop working).
    pub async fn remove_membership(
        &self,
        actor: &Actor,
        org_id: Uuid,
        user_id: Uuid,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let existing: Option<MembershipRow> = on!(&mut tx, c => sqlx::query_as(
            "SELECT id, org_id, user_id, role, created_at, created_by, updated_at, updated_by, version \
             FROM memberships WHERE org_id = $1 AND user_id = $2"
        ).bind(org_id).bind(user_id).fetch_optional(&mut *c).await?);
        let before: Membership = existing
            .ok_or_else(|| StoreError::NotFound {
                kind: "membership",
                id: format!("user {user_id} in organization {org_id}"),
            })?
            .try_into()?;
        let admins: i64 = on!(&mut tx, c => sqlx::query_scalar(
            "SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND role = 'admin'"
        ).bind(org_id).fetch_one(&mut *c).await?);
        csms_domain::auth::check_admin_kept(admins, before.role == Role::Admin, false)?;
        on!(&mut tx, c => {
            sqlx::query("DELETE FROM memberships WHERE id = $1")
                .bind(before.id)
                .execute(&mut *c)
                .await?;
            sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE org_id = $2 AND user_id = $3 AND revoked_at IS NULL")
                .bind(Ts(csms_domain::time::now()))
                .bind(org_id)
                .bind(user_id)
                .execute(&mut *c)
                .await?;
            sqlx::query("UPDATE sessions SET rotate = TRUE WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *c)
                .await?
                .rows_affected()
        });
        trail::append(
            &mut tx,
            self,
            actor,
            Change::of(org_id, "delete", Some(&before), None),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets a user's own preferences: UI language and time zone (`None` = automatic).
    pub async fn set_preferences(
        &self,
        actor: &Actor,
        user_id: Uuid,
        locale: Option<String>,
        timezone: Option<String>,
    ) -> Result<User> {
        let mut tx = self.begin().await?;
        let row: Option<UserRow> = on!(&mut tx, c => sqlx::query_as(
            sqlx::AssertSqlSafe(format!("{USER_COLUMNS_SQL} WHERE id = $1"))
        ).bind(user_id).fetch_optional(&mut *c).await?);
        let before: User = row
            .ok_or_else(|| StoreError::NotFound {
                kind: "user",
                id: user_id.to_string(),
            })?
            .into();
        let mut after = before.clone();
        after.locale = locale;
        after.timezone = timezone;
        after.updated_at = csms_domain::time::now();
        after.updated_by = actor.user_id;
        after.version += 1;
        on!(&mut tx, c => sqlx::query(
            "UPDATE users SET locale = $1, timezone = $2, updated_at = $3, updated_by = $4, version = version + 1 WHERE id = $5"
        )
        .bind(&after.locale)
        .bind(&after.timezone)
        .bind(Ts(after.updated_at))
        .bind(after.updated_by)
        .bind(user_id)
        .execute(&mut *c)
        .await?
        .rows_affected());
        trail::append(
            &mut tx,
            self,
            actor,
            Change::of(SYSTEM_CHAIN, "update", Some(&before), Some(&after)),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// The organizations a user belongs to, with their role in each.
    pub async fn memberships_of(&self, user_id: Uuid) -> Result<Vec<Membership>> {
        let rows: Vec<MembershipRow> = read!(self, p => sqlx::query_as(
            "SELECT id, org_id, user_id, role, created_at, created_by, updated_at, updated_by, version \
             FROM memberships WHERE user_id = $1 ORDER BY created_at"
        ).bind(user_id).fetch_all(p).await?);
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// The members of an organization, by user name.
    pub async fn members(&self, org_id: Uuid) -> Result<Vec<Member>> {
        let rows: Vec<MemberRow> = read!(self, p => sqlx::query_as(
            "SELECT u.id, u.username, u.display_name, u.email, u.locale, u.timezone, u.must_change_password, u.disabled_at, \
             u.created_at, u.created_by, u.updated_at, u.updated_by, u.version, m.role \
             FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 ORDER BY u.username"
        ).bind(org_id).fetch_all(p).await?);
        rows.into_iter()
            .map(|r| {
                Ok(Member {
                    role: r.role.parse()?,
                    user: r.user.into(),
                })
            })
            .collect()
    }

    /// Issues an API token for a member. The token's role is the member's own role or `viewer`.
    pub async fn create_api_token(
        &self,
        actor: &Actor,
        org_id: Uuid,
        user_id: Uuid,
        name: &str,
        role: Role,
        expires_at: OffsetDateTime,
    ) -> Result<IssuedToken> {
        validate_name("name", name)?;
        let member_role = self
            .memberships_of(user_id)
            .await?
            .into_iter()
            .find(|m| m.org_id == org_id)
            .map(|m| m.role)
            .ok_or_else(|| StoreError::NotFound {
                kind: "membership",
                id: format!("user {user_id} in organization {org_id}"),
            })?;
        if role != member_role && role != Role::Viewer {
            return Err(csms_domain::org::FieldError {
                field: "role",
                message: format!(
                    "a token may carry the member's own role ({member_role}) or viewer, not {role}"
                ),
            }
            .into());
        }
        let secret = format!(
            "csms_{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>())
        );
        let now = csms_domain::time::now();
        let token = ApiToken {
            id: new_id(),
            org_id,
            user_id,
            name: name.trim().to_owned(),
            role,
            expires_at: csms_domain::time::truncate_to_micros(expires_at),
            revoked_at: None,
            last_used_at: None,
            created_at: now,
            created_by: actor.user_id,
        };
        let mut tx = self.begin().await?;
        on!(&mut tx, c => sqlx::query(
            "INSERT INTO api_tokens (id, org_id, user_id, name, token_hash, role, expires_at, revoked_at, last_used_at, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL, $8, $9)"
        )
        .bind(token.id)
        .bind(org_id)
        .bind(user_id)
        .bind(&token.name)
        .bind(secret_hash(&secret))
        .bind(role.as_str())
        .bind(Ts(token.expires_at))
        .bind(Ts(now))
        .bind(token.created_by)
        .execute(&mut *c)
        .await?.rows_affected());
        trail::append(
            &mut tx,
            self,
            actor,
            Change::of(org_id, "create", None, Some(&token)),
        )
        .await?;
        tx.commit().await?;
        Ok(IssuedToken { token, secret })
    }

    pub async fn api_tokens(&self, org_id: Uuid) -> Result<Vec<ApiToken>> {
        let rows: Vec<TokenRow> = read!(self, p => sqlx::query_as(
            "SELECT id, org_id, user_id, name, role, expires_at, revoked_at, last_used_at, created_at, created_by \
             FROM api_tokens WHERE org_id = $1 ORDER BY created_at"
        ).bind(org_id).fetch_all(p).await?);
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// Revokes a token of an organization.
    pub async fn revoke_api_token(
        &self,
        actor: &Actor,
        org_id: Uuid,
        id: Uuid,
    ) -> Result<ApiToken> {
        let mut tx = self.begin().await?;
        let row: Option<TokenRow> = on!(&mut tx, c => sqlx::query_as(
            "SELECT id, org_id, user_id, name, role, expires_at, revoked_at, last_used_at, created_at, created_by \
             FROM api_tokens WHERE org_id = $1 AND id = $2"
        ).bind(org_id).bind(id).fetch_optional(&mut *c).await?);
        let before: ApiToken = row
            .ok_or_else(|| StoreError::NotFound {
                kind: "API token",
                id: id.to_string(),
            })?
            .try_into()?;
        let mut after = before.clone();
        after.revoked_at.get_or_insert(csms_domain::time::now());
        on!(&mut tx, c => sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2")
            .bind(after.revoked_at.map(Ts))
            .bind(id)
            .execute(&mut *c)
            .await?.rows_affected());
        trail::append(
            &mut tx,
            self,
            actor,
            Change::of(org_id, "revoke", Some(&before), Some(&after)),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Resolves a presented token secret to its token and user, if the token is usable, the
    /// user enabled and still a member allowed that role. Records the time of use (at most
    /// once a minute, so reads do not turn into writes).
    pub async fn authenticate_token(&self, secret: &str) -> Result<Option<(ApiToken, User)>> {
        // One query: the token, its user and the user's current role in the token's organization.
        let row: Option<TokenAuthRow> = read!(self, p => sqlx::query_as(
            "SELECT t.id, t.org_id, t.user_id, t.name, t.role, t.expires_at, t.revoked_at, t.last_used_at, t.created_at, t.created_by, \
             u.id AS u_id, u.username AS u_username, u.display_name AS u_display_name, u.email AS u_email, u.locale AS u_locale, \
             u.timezone AS u_timezone, u.must_change_password AS u_must_change_password, u.disabled_at AS u_disabled_at, \
             u.created_at AS u_created_at, u.created_by AS u_created_by, u.updated_at AS u_updated_at, u.updated_by AS u_updated_by, \
             u.version AS u_version, m.role AS member_role \
             FROM api_tokens t JOIN users u ON u.id = t.user_id \
             LEFT JOIN memberships m ON m.user_id = t.user_id AND m.org_id = t.org_id \
             WHERE t.token_hash = $1"
        ).bind(secret_hash(secret)).fetch_optional(p).await?);
        let Some(row) = row else { return Ok(None) };
        let token: ApiToken = row.token.try_into()?;
        let user: User = row.user.into();
        let now = csms_domain::time::now();
        if !token.is_usable(now) || user.disabled_at.is_some() {
            return Ok(None);
        }
        let member_role = row.member_role.map(|r| r.parse::<Role>()).transpose()?;
        match member_role {
            Some(r) if r == token.role || token.role == Role::Viewer => {}
            _ => return Ok(None),
        }
        let stale = token
            .last_used_at
            .is_none_or(|t| now - t > time::Duration::minutes(1));
        if stale {
            let mut tx = self.begin().await?;
            on!(&mut tx, c => sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(Ts(now))
                .bind(token.id)
                .execute(&mut *c)
                .await?
                .rows_affected());
            tx.commit().await?;
        }
        Ok(Some((token, user)))
    }
}

/// A valid Argon2id hash of a random password, verified against when the user does not exist.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$x8V2lSVZ4i5Ozj4sRhN8d2ZB0H0yQ5XyM+ViQ7QvR7A";
