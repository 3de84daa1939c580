//! Warmline: a self-hosted gateway for the moment a support conversation passes from an AI assistant
//! to a human. `app` is the composition root; see the module map in the README.

pub mod analysis;
pub mod assistant;
pub mod chat;
pub mod domain;
