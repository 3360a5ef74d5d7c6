//! Latchkey: an authentication and license gateway for end users.
//!
//! The modules form layers; each imports only from layers below it, and
//! `domain` imports nothing of ours (a test holds the code to this):
//!
//! 1. `domain`: entities and pure rules.
//! 2. `clock`, `secrets`, `config`, `metrics`, `telemetry`: what every
//!    layer above may use.
//! 3. `store`: the database, behind one trait.
//! 4. Services, the application itself: `accounts`, `api_keys`, `factors`,
//!    `eula`, `tokens`, `oauth`, `licensing`, `support`, `mail`, `health`, bundled
//!    as `services::Services`; beside them the `purge` worker.
//! 5. `http`: the JSON API, an adapter over the services.
//! 6. `web`: the end-user pages, served beside the API.
//! 7. `startup`, then `cli`: building and running it all.
#![warn(missing_docs)]

/// Sign-up, sign-in, sessions, password and address changes, mailed links.
pub mod accounts;
/// Staff API keys (admin and support).
pub mod api_keys;
/// The command line: serve, migrate, admin, policy check, keys.
pub mod cli;
/// The only reader of the system clock.
pub mod clock;
/// Typed settings from defaults, file and environment.
pub mod config;
/// Entities and pure rules: licenses, policies, factors, EULA evidence, reasons.
pub mod domain;
/// EULA versions, the acceptance ledger and the gate it feeds.
pub mod eula;
/// Second factors, passkeys, step-up and sign-in requirements.
pub mod factors;
/// Readiness and the metrics operators scrape.
pub mod health;
/// The JSON API: routes in groups, extractors, problem+json in English.
pub mod http;
/// License policies, issuance, redemption, seats and validation.
pub mod licensing;
/// Mail: templates, SMTP, and the outbox worker.
pub mod mail;
/// Prometheus counters, recorded by services and the HTTP envelope.
pub mod metrics;
/// OAuth 2.0 and OpenID Connect: apps sign their users in through our pages.
pub mod oauth;
/// The periodic purge of rows that can no longer matter.
pub mod purge;
/// Master key encryption, bearer credentials, signed links.
pub mod secrets;
/// Every service of a running application, as one value.
pub mod services;
/// Builds the application from settings and runs it.
pub mod startup;
/// The database behind one trait, on SQLite or PostgreSQL.
pub mod store;
/// Verifying callers and reading timelines for support agents.
pub mod support;
/// Logging setup.
pub mod telemetry;
/// What Latchkey signs: keys, JWKS, certificates, and tokens for integrations.
pub mod tokens;
/// The end-user pages: HTML in four languages over the same services.
pub mod web;
