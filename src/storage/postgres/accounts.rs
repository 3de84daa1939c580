//! The Postgres side of users and sessions: staff accounts and bearer credentials. Changes that end
//! sessions (disabling a user, a new password) revoke the user's tokens in the same transaction.

use super::PgStore;
use crate::domain::{ConversationId, Principal, Role, Timestamp, User, UserId};
use crate::storage::codec::{from_ms, json, ms, to_json};
use crate::storage::{Accounts, ApiKeyInfo, NewToken, NewUser, Result, StorageError, TokenKind};
use async_trait::async_trait;
use sqlx::postgres::PgRow;
use sqlx::Row;

fn user_from_row(r: &PgRow, offset: usize) -> Result<User> {
    let role: String = r.try_get(offset + 3)?;
    Ok(User {
        id: UserId(r.try_get(offset)?),
        username: r.try_get(offset + 1)?,
        name: r.try_get(offset + 2)?,
        role: Role::parse(&role).ok_or_else(|| StorageError::Corrupt(format!("role {role}")))?,
        skills: json(&r.try_get::<String, _>(offset + 4)?, "skills")?,
        languages: json(&r.try_get::<String, _>(offset + 5)?, "languages")?,
        max_concurrent: r.try_get::<i64, _>(offset + 6)?.try_into().unwrap_or(0),
        disabled: r.try_get::<i64, _>(offset + 7)? != 0,
        created_at: from_ms(r.try_get(offset + 8)?)?,
    })
}

const USER_COLUMNS: &str = "u.id, u.username, u.name, u.role, u.skills, u.languages, u.max_concurrent, u.disabled, u.created_at";

#[async_trait]
impl Accounts for PgStore {
    async fn create_user(&self, user: NewUser, now: Timestamp) -> Result<User> {
        let id = UserId::generate();
        let res = sqlx::query(
            "INSERT INTO users (id, username, name, role, password_hash, skills, languages, max_concurrent, disabled, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9)",
        )
        .bind(id.as_str())
        .bind(&user.username)
        .bind(&user.name)
        .bind(user.role.as_str())
        .bind(&user.password_hash)
        .bind(to_json(&user.skills)?)
        .bind(to_json(&user.languages)?)
        .bind(user.max_concurrent as i64)
        .bind(ms(now))
        .execute(&self.pool)
        .await;
        match res {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(StorageError::Conflict(format!("user {:?}", user.username)))
            }
            Err(e) => Err(e.into()),
            Ok(_) => Ok(User {
                id,
                username: user.username,
                name: user.name,
                role: user.role,
                skills: user.skills,
                languages: user.languages,
                max_concurrent: user.max_concurrent,
                disabled: false,
                created_at: now,
            }),
        }
    }

    async fn list_users(&self) -> Result<Vec<User>> {
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users u ORDER BY u.username"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| user_from_row(r, 0)).collect()
    }

    async fn count_users(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?;
        Ok(n.max(0) as u64)
    }

    async fn set_user_disabled(
        &self,
        username: &str,
        disabled: bool,
        now: Timestamp,
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let res = sqlx::query("UPDATE users SET disabled = $1 WHERE username = $2")
            .bind(disabled as i64)
            .bind(username)
            .execute(&mut *tx)
            .await?;
        if disabled {
            revoke_sessions(&mut tx, username, now).await?;
        }
        tx.commit().await?;
        Ok(res.rows_affected() > 0)
    }

    async fn set_user_password(
        &self,
        username: &str,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let res = sqlx::query("UPDATE users SET password_hash = $1 WHERE username = $2")
            .bind(password_hash)
            .bind(username)
            .execute(&mut *tx)
            .await?;
        // A new password ends every session opened with the old one.
        revoke_sessions(&mut tx, username, now).await?;
        tx.commit().await?;
        Ok(res.rows_affected() > 0)
    }

    async fn credentials(&self, username: &str) -> Result<Option<(User, String)>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.username = $1"
        ))
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            None => Ok(None),
            Some(r) => Ok(Some((user_from_row(&r, 0)?, r.try_get(9)?))),
        }
    }

    async fn insert_token(&self, token: NewToken) -> Result<()> {
        insert_token(&self.pool, &token).await
    }

    async fn resolve_token(&self, hash: &str, now: Timestamp) -> Result<Option<Principal>> {
        let row = sqlx::query(&format!(
            "SELECT t.kind, t.id, t.conversation_id, t.name, t.expires_at, t.revoked_at, {USER_COLUMNS}
             FROM tokens t LEFT JOIN users u ON u.id = t.user_id WHERE t.hash = $1"
        ))
        .bind(hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let expires: Option<i64> = r.try_get(4)?;
        let revoked: Option<i64> = r.try_get(5)?;
        if revoked.is_some() || expires.is_some_and(|e| e <= ms(now)) {
            return Ok(None);
        }
        let kind: String = r.try_get(0)?;
        Ok(match kind.as_str() {
            "customer" => {
                let conv: Option<String> = r.try_get(2)?;
                conv.map(|c| Principal::Customer {
                    conversation_id: ConversationId(c),
                })
            }
            "staff" => {
                let user = user_from_row(&r, 6)?;
                (!user.disabled).then_some(Principal::Staff(user))
            }
            "bot" => Some(Principal::Bot {
                key_id: r.try_get(1)?,
                name: r.try_get(3)?,
            }),
            other => return Err(StorageError::Corrupt(format!("token kind {other}"))),
        })
    }

    async fn tokens_ended_between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<String>> {
        let rows = sqlx::query_scalar::<_, String>(
            "SELECT hash FROM tokens WHERE revoked_at >= $1
             UNION SELECT hash FROM tokens WHERE expires_at >= $1 AND expires_at <= $2",
        )
        .bind(ms(from))
        .bind(ms(to))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows)
    }

    async fn revoke_token(&self, hash: &str, now: Timestamp) -> Result<()> {
        sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE hash = $2 AND revoked_at IS NULL")
            .bind(ms(now))
            .bind(hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn list_api_keys(&self) -> Result<Vec<ApiKeyInfo>> {
        let rows: Vec<(String, String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT id, name, created_at, revoked_at FROM tokens WHERE kind = 'bot' ORDER BY created_at",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, name, c, r)| {
                Ok(ApiKeyInfo {
                    id,
                    name,
                    created_at: from_ms(c)?,
                    revoked_at: r.map(from_ms).transpose()?,
                })
            })
            .collect()
    }

    async fn revoke_api_key(&self, id: &str, now: Timestamp) -> Result<bool> {
        let res = sqlx::query(
            "UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND kind = 'bot' AND revoked_at IS NULL",
        )
        .bind(ms(now))
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(res.rows_affected() > 0)
    }
}

/// Revokes every live token of a staff user.
async fn revoke_sessions(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    username: &str,
    now: Timestamp,
) -> Result<()> {
    sqlx::query(
        "UPDATE tokens SET revoked_at = $1 WHERE revoked_at IS NULL
         AND user_id = (SELECT id FROM users WHERE username = $2)",
    )
    .bind(ms(now))
    .bind(username)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(super) async fn insert_token<'e, E>(exec: E, t: &NewToken) -> Result<()>
where
    E: sqlx::Executor<'e, Database = sqlx::Postgres>,
{
    debug_assert!(matches!(
        t.kind,
        TokenKind::Staff | TokenKind::Customer | TokenKind::Bot
    ));
    sqlx::query(
        "INSERT INTO tokens (hash, kind, id, user_id, conversation_id, name, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&t.hash)
    .bind(t.kind.as_str())
    .bind(&t.id)
    .bind(t.user_id.as_ref().map(|u| u.as_str()))
    .bind(t.conversation_id.as_ref().map(|c| c.as_str()))
    .bind(&t.name)
    .bind(ms(t.created_at))
    .bind(t.expires_at.map(ms))
    .execute(exec)
    .await?;
    Ok(())
}
