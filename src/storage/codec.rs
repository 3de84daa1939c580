//! How stored values are encoded, the same for every store: timestamps as milliseconds since the
//! epoch, structured values (headers, summaries, events) as JSON. A value that does not decode is
//! `StorageError::Corrupt`, never a panic.

use super::{Result, StorageError};
use crate::domain::Timestamp;

pub(crate) fn ms(t: Timestamp) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_ms(v: i64) -> Result<Timestamp> {
    chrono::DateTime::from_timestamp_millis(v)
        .ok_or_else(|| StorageError::Corrupt(format!("timestamp {v}")))
}

pub(crate) fn json<T: serde::de::DeserializeOwned>(s: &str, what: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StorageError::Corrupt(format!("{what}: {e}")))
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StorageError::Corrupt(format!("encoding: {e}")))
}
