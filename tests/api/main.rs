//! Black-box tests: the real application over HTTP, on SQLite and PostgreSQL.
//! One test binary keeps link time down.

mod helpers;

mod accounts;
mod admin_keys;
mod cli;
mod hardening;
mod instances;
mod lockout;
mod readiness;
mod secrets_at_rest;
mod store_conformance;
