//! Per-client rate limits (an IPv4 address, or an IPv6 /64) (token buckets from `governor`): one for every request, WebSocket
//! upgrades included, and a tighter one for creating conversations, the only write open to anyone.
//! Per-connection frame limits live with the WebSocket session.

use super::error::ApiError;
use crate::config::LimitsConfig;
use axum::http::Method;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

pub struct IpLimits {
    requests: DefaultKeyedRateLimiter<IpAddr>,
    conversations: DefaultKeyedRateLimiter<IpAddr>,
    logins: DefaultKeyedRateLimiter<IpAddr>,
    emails: DefaultKeyedRateLimiter<IpAddr>,
}

fn nz(v: u32) -> NonZeroU32 {
    NonZeroU32::new(v).unwrap_or(NonZeroU32::MIN)
}

impl IpLimits {
    pub fn new(l: &LimitsConfig) -> Arc<Self> {
        let requests = Quota::per_second(nz(l.http_requests_per_second_per_ip))
            .allow_burst(nz(l.http_request_burst_per_ip));
        let per_minute = |n: u32| Quota::per_minute(nz(n)).allow_burst(nz(n));
        let limits = Arc::new(Self {
            requests: RateLimiter::keyed(requests),
            conversations: RateLimiter::keyed(per_minute(l.conversations_per_minute_per_ip)),
            logins: RateLimiter::keyed(per_minute(l.logins_per_minute_per_ip)),
            emails: RateLimiter::keyed(
                Quota::per_hour(nz(l.email_requests_per_hour_per_ip))
                    .allow_burst(nz(l.email_requests_per_hour_per_ip)),
            ),
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
                l.logins.retain_recent();
                l.emails.retain_recent();
            }
        });
        limits
    }

    /// Applies the limits that cover `method path` from `ip`. On refusal returns the error and the
    /// limit's name (for metrics).
    pub fn check(
        &self,
        ip: IpAddr,
        method: &Method,
        path: &str,
    ) -> Result<(), (ApiError, &'static str)> {
        let ip = super::client_ip::limit_key(ip);
        if self.requests.check_key(&ip).is_err() {
            let e = ApiError::RateLimited("too many requests from this address; slow down".into());
            return Err((e, "http"));
        }
        if method == Method::POST {
            // Both are open to anyone and costly: a new conversation is a durable write, a login
            // an argon2 hash (tens of milliseconds of CPU by design).
            let (limiter, what, name) = match path {
                "/api/conversations" => {
                    (&self.conversations, "new conversations", "new_conversation")
                }
                "/api/auth/login" => (&self.logins, "login attempts", "login"),
                // Each can send an e-mail or mint a session: open to customers, so bounded.
                p if super::email::is_email_request(p) => {
                    (&self.emails, "e-mail requests", "email")
                }
                _ => return Ok(()),
            };
            if limiter.check_key(&ip).is_err() {
                return Err((
                    ApiError::RateLimited(format!("too many {what} from this address")),
                    name,
                ));
            }
        }
        Ok(())
    }
}
