//! Warmline: a self-hosted gateway for the moment a support conversation passes from an AI assistant
//! to a human. `app` is the composition root; the module map is in the README.

pub mod analysis;
pub mod app;
pub mod assistant;
pub mod attachments;
pub mod bench;
pub mod chat;
pub mod cluster;
pub mod config;
pub mod domain;
pub mod email;
pub mod embed;
pub mod handoff;
pub mod http;
pub mod media;
pub mod metrics;
pub mod pypi;
pub mod review;
pub mod service;
pub mod storage;
pub mod telemetry;
pub mod transcribe;

#[cfg(test)]
mod architecture_tests;
#[cfg(test)]
mod fuzz;
