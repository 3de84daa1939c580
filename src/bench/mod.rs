//! Shipped benchmarks, run as `warmline bench ...`. Each starts a real gateway in-process on a
//! loopback port with a temporary database and drives it through its public protocols, the way
//! real clients do. Results go to stdout (and `--json` for machines); `BENCHMARKS.md` records them.

pub mod briefing;
pub mod chat;
pub mod client;
pub mod embed;
pub mod handoff;
pub mod machine;
pub mod media;
pub mod quality;
pub mod review;
pub mod transcribe;
pub mod turns;
