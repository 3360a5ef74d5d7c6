//! Latchkey: an authentication and license gateway for end users.
//!
//! Dependencies point inward: `http` → `auth` → `domain` and `store`;
//! `domain` imports nothing of ours.

/// Service logic for accounts, sessions, passwords and API keys.
pub mod auth;
/// The command line: serve, migrate, admin.
pub mod cli;
/// The only reader of the system clock.
pub mod clock;
/// Typed settings from defaults, file and environment.
pub mod config;
/// Pure rules: emails, passwords, lockouts, session expiry.
pub mod domain;
/// EULA versions, the acceptance ledger and the gate it feeds.
pub mod eula;
/// The HTTP edge: routing, extractors, problem+json errors.
pub mod http;
/// License policies, issuance, activation and validation.
pub mod licensing;
/// Mail: templates, SMTP, and the outbox worker.
pub mod mail;
/// Master key encryption and bearer credentials.
pub mod secrets;
/// Builds and runs the server.
pub mod startup;
/// The database behind one trait, on SQLite or PostgreSQL.
pub mod store;
/// Verifying callers for support agents.
pub mod support;
/// Logging setup.
pub mod telemetry;
/// What Latchkey signs: keys, JWKS, certificates, and tokens for integrations.
pub mod tokens;
