//! The file-descriptor budget. Every connection, WebSocket, media port and database file is a
//! descriptor; a process at its limit cannot even accept `/healthz`. At start the soft limit is
//! raised to the hard limit, and a warning names the shortfall when the configured caps could
//! need more than that.

use crate::config::LimitsConfig;

/// Descriptors for everything that is not a client connection: the database and its WAL, logs,
/// the model files, media sockets of a few calls, the runtime.
const BASE: u64 = 512;

/// Raises the soft limit as far as allowed; warns when the caps could exceed it. Returns the
/// limit in force.
pub fn raise_and_check(limits: &LimitsConfig) -> u64 {
    let limit = raise();
    let wanted = wanted(limits);
    if limit < wanted {
        tracing::warn!(
            limit,
            wanted,
            "the file-descriptor limit is below what the connection caps allow: raise it (LimitNOFILE= in the systemd unit, `ulimit -n`) or lower limits.max_http_connections and limits.max_connections"
        );
    } else {
        tracing::debug!(limit, wanted, "file-descriptor limit");
    }
    limit
}

/// Descriptors the configured caps could use at once.
pub fn wanted(limits: &LimitsConfig) -> u64 {
    (limits.max_http_connections as u64)
        .saturating_add(limits.max_connections as u64)
        .saturating_add(BASE)
}

#[cfg(unix)]
fn raise() -> u64 {
    let mut rl = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) != 0 {
            return 0;
        }
        if rl.rlim_cur < rl.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: rl.rlim_max,
                rlim_max: rl.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                rl.rlim_cur = rl.rlim_max;
            }
        }
    }
    #[allow(clippy::unnecessary_cast)] // rlim_t is not u64 on every Unix
    let limit = rl.rlim_cur as u64;
    limit
}

#[cfg(not(unix))]
fn raise() -> u64 {
    u64::MAX
}
