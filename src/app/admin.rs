//! Administration used by the command line: staff accounts, integration API keys and the demo
//! accounts the run command creates on first start.

use super::credentials::{self, PasswordPolicy};
use super::AppError;
use crate::domain::{Role, User};
use crate::storage::{ApiKeyInfo, NewToken, NewUser, Store, TokenKind};
use chrono::Utc;

/// A staff account to create; a password is generated when none is given.
#[derive(Debug, Clone)]
pub struct UserSpec {
    pub username: String,
    pub name: String,
    pub role: Role,
    pub password: Option<String>,
    pub skills: Vec<String>,
    pub languages: Vec<String>,
    pub max_concurrent: u32,
}

fn valid_username(u: &str) -> bool {
    (2..=64).contains(&u.len())
        && u.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

/// Creates the account; returns it with the password actually set.
pub async fn add_user(
    store: &dyn Store,
    policy: &PasswordPolicy,
    spec: UserSpec,
) -> Result<(User, String), AppError> {
    if !valid_username(&spec.username) {
        return Err(AppError::Admin(
            "username must be 2-64 characters of letters, digits, '.', '_' or '-'".into(),
        ));
    }
    let password = spec
        .password
        .clone()
        .unwrap_or_else(credentials::generate_password);
    if password.len() < 8 {
        return Err(AppError::Admin(
            "password must be at least 8 characters".into(),
        ));
    }
    let hash = {
        let policy = policy.clone();
        let password = password.clone();
        tokio::task::spawn_blocking(move || policy.hash(&password))
            .await
            .map_err(|e| AppError::Admin(e.to_string()))??
    };
    let clean = |v: Vec<String>| {
        v.into_iter()
            .map(|s| s.trim().to_lowercase())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let user = store
        .create_user(
            NewUser {
                username: spec.username,
                name: spec.name,
                role: spec.role,
                password_hash: hash,
                skills: clean(spec.skills),
                languages: clean(spec.languages),
                max_concurrent: spec.max_concurrent.max(1),
            },
            Utc::now(),
        )
        .await?;
    Ok((user, password))
}

pub async fn set_password(
    store: &dyn Store,
    policy: &PasswordPolicy,
    username: &str,
    password: Option<String>,
) -> Result<String, AppError> {
    let password = password.unwrap_or_else(credentials::generate_password);
    if password.len() < 8 {
        return Err(AppError::Admin(
            "password must be at least 8 characters".into(),
        ));
    }
    let policy = policy.clone();
    let pw = password.clone();
    let hash = tokio::task::spawn_blocking(move || policy.hash(&pw))
        .await
        .map_err(|e| AppError::Admin(e.to_string()))??;
    if store.set_user_password(username, &hash, Utc::now()).await? {
        Ok(password)
    } else {
        Err(AppError::Admin(format!("no user {username:?}")))
    }
}

/// Creates an integration API key; the secret is returned once and stored only as a digest.
pub async fn create_api_key(store: &dyn Store, name: &str) -> Result<(String, String), AppError> {
    if name.trim().is_empty() || name.len() > 64 {
        return Err(AppError::Admin("key name must be 1-64 characters".into()));
    }
    let (secret, hash) = credentials::new_token("wl_k");
    let id = credentials::public_id("key");
    store
        .insert_token(NewToken {
            hash,
            id: id.clone(),
            kind: TokenKind::Bot,
            user_id: None,
            conversation_id: None,
            name: name.trim().to_owned(),
            created_at: Utc::now(),
            expires_at: None,
        })
        .await?;
    Ok((id, secret))
}

pub async fn list_api_keys(store: &dyn Store) -> Result<Vec<ApiKeyInfo>, AppError> {
    Ok(store.list_api_keys().await?)
}

/// The demo team: three agents with different skills and a manager.
fn demo_team() -> Vec<UserSpec> {
    let spec = |username: &str, name: &str, role, skills: &[&str], languages: &[&str]| UserSpec {
        username: username.into(),
        name: name.into(),
        role,
        password: None,
        skills: skills.iter().map(|s| s.to_string()).collect(),
        languages: languages.iter().map(|s| s.to_string()).collect(),
        max_concurrent: 3,
    };
    vec![
        spec(
            "maria",
            "Maria Lopez",
            Role::Agent,
            &["integrations", "technical", "general"],
            &["en", "es"],
        ),
        spec(
            "sam",
            "Sam Carter",
            Role::Agent,
            &["billing", "account", "general"],
            &["en"],
        ),
        spec(
            "alex",
            "Alex Kim",
            Role::Agent,
            &["security", "account", "legal", "technical", "general"],
            &["en", "de"],
        ),
        spec("morgan", "Morgan Lee", Role::Manager, &[], &["en"]),
    ]
}

/// On an empty database, creates the demo team and returns their credentials (shown once).
pub async fn ensure_demo_users(
    store: &dyn Store,
    policy: &PasswordPolicy,
) -> Result<Vec<(User, String)>, AppError> {
    if store.count_users().await? > 0 {
        return Ok(Vec::new());
    }
    let mut created = Vec::new();
    for spec in demo_team() {
        created.push(add_user(store, policy, spec).await?);
    }
    if let Some((manager, _)) = created.iter().find(|(u, _)| u.role == Role::Manager) {
        super::canned::seed_demo(store, &manager.id).await?;
    }
    Ok(created)
}
