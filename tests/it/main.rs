//! The integration tests: one test crate, one module per area, so the suite compiles and links
//! the gateway (whisper.cpp, webrtc, candle ...) once instead of once per area.
//!
//! Run one area with `cargo test --test it browser_widget::`, one test with its full name
//! (`cargo test --test it hardening::wrong_logins_do_not_grow_memory`). The helpers live in
//! `common/`; the browser scripts in `tests/browser/`, the data in `tests/fixtures/`.
//!
//! All areas share one process, and libtest runs two tests at a time here (one per core), from any
//! areas. Tests that drive browsers, run Whisper or the embedding model, hold long media calls or
//! measure the whole process take [`common::heavy`] (or [`common::heavy_blocking`]) first, so no
//! two of them run at once; see there for the list and the rest of what the areas share.

mod common;

mod access;
mod attachments;
mod audio_tap;
mod bad_input;
mod browser_call;
mod browser_handoff;
mod browser_journey;
mod browser_transcribe;
mod browser_widget;
mod calls;
mod canned;
mod chat_ws;
mod cluster;
mod email;
mod external_bot;
mod forwarding;
mod handoff;
mod handover;
mod hardening;
mod identity;
mod intelligence;
mod model_import;
mod model_roundtrip;
mod probes;
mod readme;
mod recorded_audio;
mod restart;
mod returning;
mod review;
mod sites;
mod store;
mod store_concerns;
mod transcribe;
mod transfer;
mod workspace;
