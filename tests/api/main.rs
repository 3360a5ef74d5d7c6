//! Black-box tests: the real application over HTTP, on SQLite and PostgreSQL.
//! One test binary keeps link time down.

// Test code may panic: a failed expectation is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod helpers;

mod accounts;
mod admin_keys;
mod architecture;
mod browser;
mod cli;
mod connections;
mod cors;
mod emails;
mod eula;
mod factors;
mod hardening;
mod instances;
mod licenses;
mod lockout;
mod mail;
mod oauth;
mod openapi;
mod pages;
mod passkeys;
mod purge;
mod readiness;
mod readme;
mod reasons;
mod scale_out;
mod secrets_at_rest;
mod signing;
mod smtp_sink;
mod store_conformance;
mod support;
mod tokens;
