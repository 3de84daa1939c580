//! Counts of open connections per client (IPv4 address or IPv6 /64), with a cap: one address must
//! not hold every file descriptor or every WebSocket slot. A slot is given back when dropped.

use super::client_ip::limit_key;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

#[derive(Default)]
pub struct PerIpCounts {
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One open connection; dropping it frees the slot.
pub struct Slot {
    counts: Arc<PerIpCounts>,
    key: IpAddr,
}

impl PerIpCounts {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// A slot for `ip` if it holds fewer than `cap`; `None` when it is at the cap.
    pub fn try_acquire(self: &Arc<Self>, ip: IpAddr, cap: usize) -> Option<Slot> {
        let key = limit_key(ip);
        let mut open = self.open.lock().ok()?;
        let n = open.entry(key).or_insert(0);
        if *n >= cap {
            return None;
        }
        *n += 1;
        Some(Slot {
            counts: self.clone(),
            key,
        })
    }

    pub fn open(&self, ip: IpAddr) -> usize {
        self.open
            .lock()
            .ok()
            .and_then(|o| o.get(&limit_key(ip)).copied())
            .unwrap_or(0)
    }

    pub fn total(&self) -> usize {
        self.open.lock().map_or(0, |o| o.values().sum())
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut open) = self.counts.open.lock() {
            if let Some(n) = open.get_mut(&self.key) {
                *n -= 1;
                if *n == 0 {
                    open.remove(&self.key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_per_address_and_frees_on_drop() {
        let c = PerIpCounts::new();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "2001:db8::1".parse().unwrap();
        let b_same_64: IpAddr = "2001:db8::ffff".parse().unwrap();
        let s1 = c.try_acquire(a, 2).unwrap();
        let _s2 = c.try_acquire(a, 2).unwrap();
        assert!(c.try_acquire(a, 2).is_none());
        let _t = c.try_acquire(b, 1).unwrap();
        assert!(c.try_acquire(b_same_64, 1).is_none());
        drop(s1);
        assert!(c.try_acquire(a, 2).is_some());
        assert_eq!(c.total(), 2);
    }
}
