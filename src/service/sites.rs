//! Sites at run time: created and changed from the command line (`warmline sites …`) while the
//! gateway serves, read by every widget request. The directory keeps them in memory and reloads
//! them from the store every few seconds, so a new site works without a restart and a removed
//! one stops within that time; a lookup of an id it does not know reloads at once (at most four
//! times a second), so a site created a moment ago is found on its first request.
//!
//! It also keeps each site's count of new conversations in the last minute, for the site's own
//! limit (`conversations_per_minute`).

use super::credentials;
use crate::domain::site::{self, Site, SiteError};
use crate::storage::{StorageError, Store};
use chrono::Utc;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// How often the directory reloads sites from the store.
const REFRESH: Duration = Duration::from_secs(3);
/// Least time between two reloads caused by unknown ids (a flood of made-up ids costs at most
/// four small queries a second).
const MISS_RELOAD: Duration = Duration::from_millis(250);

/// What can go wrong administering sites.
#[derive(Debug, thiserror::Error)]
pub enum SitesError {
    #[error(transparent)]
    Invalid(#[from] SiteError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("no site {0:?}")]
    NotFound(String),
}

/// A new site's settings, as the command line gives them.
#[derive(Debug, Clone, Default)]
pub struct NewSite {
    pub name: String,
    pub origins: Vec<String>,
    pub color: Option<String>,
    pub greeting: Option<String>,
    pub conversations_per_minute: u32,
}

/// Creates a site with a fresh id and secret; the secret is returned once, with the site.
pub async fn create(store: &dyn Store, new: NewSite) -> Result<Site, SitesError> {
    let (name, origins) = site::validate(
        &new.name,
        &new.origins,
        new.color.as_deref(),
        new.greeting.as_deref(),
    )?;
    let site = Site {
        id: credentials::public_id("site"),
        name,
        origins,
        secret: new_secret(),
        color: new.color.map(|c| c.to_ascii_lowercase()),
        greeting: new
            .greeting
            .map(|g| g.trim().to_owned())
            .filter(|g| !g.is_empty()),
        conversations_per_minute: new.conversations_per_minute,
        created_at: Utc::now(),
    };
    store.create_site(&site).await?;
    Ok(site)
}

/// Creates or updates the sites the configuration file declares (`[[sites]]`); the config is
/// their source of truth, so a change there wins at the next start. Returns how many.
pub async fn apply_config(
    store: &dyn Store,
    declared: &[site::SiteConfig],
) -> Result<usize, SitesError> {
    let now = Utc::now();
    for config in declared {
        let site = config.to_site(now)?;
        store.upsert_site(&site).await?;
        tracing::info!(site = %site.id, name = %site.name, origins = ?site.origins, "site from the configuration file");
    }
    Ok(declared.len())
}

/// Gives the site a new secret (tokens signed with the old one stop working) and returns it.
pub async fn rotate_secret(store: &dyn Store, id: &str) -> Result<String, SitesError> {
    let secret = new_secret();
    if !store.set_site_secret(id, &secret).await? {
        return Err(SitesError::NotFound(id.to_owned()));
    }
    Ok(secret)
}

pub async fn remove(store: &dyn Store, id: &str) -> Result<(), SitesError> {
    if !store.delete_site(id).await? {
        return Err(SitesError::NotFound(id.to_owned()));
    }
    Ok(())
}

/// 256 random bits, URL-safe: an HS256 key as long as its hash.
fn new_secret() -> String {
    credentials::new_token("wl_site").0
}

/// The sites in memory, reloaded from the store.
pub struct SiteDirectory {
    store: Arc<dyn Store>,
    sites: RwLock<HashMap<String, Arc<Site>>>,
    /// The last reload an unknown id caused.
    last_miss: Mutex<Option<Instant>>,
    /// Per site, when its recent anonymous conversations were created.
    created: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl SiteDirectory {
    pub async fn load(store: Arc<dyn Store>) -> Result<Arc<Self>, StorageError> {
        let dir = Arc::new(Self {
            store,
            sites: RwLock::new(HashMap::new()),
            last_miss: Mutex::new(None),
            created: Mutex::new(HashMap::new()),
        });
        dir.reload().await?;
        Ok(dir)
    }

    /// Reloads every `REFRESH` until the directory is dropped or the gateway stops.
    pub fn spawn_refresh(
        self: &Arc<Self>,
        tasks: &super::tasks::Tasks,
        stop: tokio::sync::watch::Receiver<bool>,
    ) {
        let weak = Arc::downgrade(self);
        let refresh = async move {
            loop {
                tokio::time::sleep(REFRESH).await;
                let Some(dir) = weak.upgrade() else { return };
                if let Err(e) = dir.reload().await {
                    tracing::warn!(error = %e, "could not reload the sites");
                }
            }
        };
        tasks.spawn("site refresh", super::tasks::until_stopped(stop, refresh));
    }

    async fn reload(&self) -> Result<(), StorageError> {
        let fresh: HashMap<String, Arc<Site>> = self
            .store
            .sites()
            .await?
            .into_iter()
            .map(|s| (s.id.clone(), Arc::new(s)))
            .collect();
        *self.sites.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        Ok(())
    }

    /// The site with this id; an unknown id reloads the directory first (rate-limited).
    pub async fn get(&self, id: &str) -> Option<Arc<Site>> {
        if let Some(site) = self.cached(id) {
            return Some(site);
        }
        let due = {
            let mut last = self.last_miss.lock().unwrap_or_else(|p| p.into_inner());
            let due = last.is_none_or(|t| t.elapsed() >= MISS_RELOAD);
            if due {
                *last = Some(Instant::now());
            }
            due
        };
        if due {
            if let Err(e) = self.reload().await {
                tracing::warn!(error = %e, "could not reload the sites");
            }
        }
        self.cached(id)
    }

    fn cached(&self, id: &str) -> Option<Arc<Site>> {
        self.sites
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
    }

    /// Whether any site lists this origin (for the WebSocket's `Origin` check).
    pub fn any_allows(&self, origin: &str) -> bool {
        self.sites
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .any(|s| s.allows(origin))
    }

    /// Counts a new conversation from `site` if it is under its limit; false when it is over.
    pub fn admit_conversation(&self, site: &Site) -> bool {
        if site.conversations_per_minute == 0 {
            return true;
        }
        let now = Instant::now();
        let mut created = self.created.lock().unwrap_or_else(|p| p.into_inner());
        let recent = created.entry(site.id.clone()).or_default();
        while recent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60))
        {
            recent.pop_front();
        }
        if recent.len() >= site.conversations_per_minute as usize {
            return false;
        }
        recent.push_back(now);
        true
    }
}
