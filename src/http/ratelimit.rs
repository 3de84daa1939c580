//! Per-client-IP rate limits (token buckets from `governor`): one for every request, WebSocket
//! upgrades included, and a tighter one for creating conversations, the only write open to anyone.
//! Per-connection frame limits live with the WebSocket session.

use super::error::ApiError;
use crate::config::LimitsConfig;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

pub struct IpLimits {
    requests: DefaultKeyedRateLimiter<IpAddr>,
    conversations: DefaultKeyedRateLimiter<IpAddr>,
}

fn nz(v: u32) -> NonZeroU32 {
    NonZeroU32::new(v).unwrap_or(NonZeroU32::MIN)
}

impl IpLimits {
    pub fn new(l: &LimitsConfig) -> Arc<Self> {
        let requests = Quota::per_second(nz(l.http_requests_per_second_per_ip))
            .allow_burst(nz(l.http_request_burst_per_ip));
        let conversations = Quota::per_minute(nz(l.conversations_per_minute_per_ip))
            .allow_burst(nz(l.conversations_per_minute_per_ip));
        let limits = Arc::new(Self {
            requests: RateLimiter::keyed(requests),
            conversations: RateLimiter::keyed(conversations),
        });
        // Forget idle clients so the tables stay small; the task ends with the last user.
        let weak = Arc::downgrade(&limits);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                let Some(l) = weak.upgrade() else { break };
                l.requests.retain_recent();
                l.conversations.retain_recent();
            }
        });
        limits
    }

    pub fn check_request(&self, ip: IpAddr) -> Result<(), ApiError> {
        self.requests.check_key(&ip).map_err(|_| {
            ApiError::RateLimited("too many requests from this address; slow down".into())
        })
    }

    pub fn check_new_conversation(&self, ip: IpAddr) -> Result<(), ApiError> {
        self.conversations.check_key(&ip).map_err(|_| {
            ApiError::RateLimited("too many new conversations from this address".into())
        })
    }
}
