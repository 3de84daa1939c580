//! Tests of the review module over whole event logs, built with the `fixtures` helpers.

mod aggregate;
mod briefing_markdown;
mod fixtures;
mod metrics;
mod necessity;
mod redact;
mod repeat_asks;
