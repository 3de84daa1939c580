//! A small tmpfs for fault-injection tests (a full disk). Mounting needs root: without it the
//! test is skipped, unless `WLTEST_REQUIRE_ROOT` is set (the test command sets it as root), then
//! it fails.

use std::path::{Path, PathBuf};

/// The mount; unmounted (lazily) when dropped.
pub struct Tmpfs(PathBuf);

impl Tmpfs {
    /// Mounts a tmpfs of `size` (e.g. `"64k"`, `"6m"`) at `at` (created); `None` when this
    /// process may not mount, and root is not required.
    pub fn mount(at: &Path, size: &str) -> Option<Self> {
        std::fs::create_dir_all(at).expect("mount point");
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            assert!(
                std::env::var_os("WLTEST_REQUIRE_ROOT").is_none(),
                "could not mount a tmpfs"
            );
            eprintln!("skipped: mounting a tmpfs needs root");
            return None;
        }
        Some(Self(at.to_owned()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}
