//! Builds the application from settings and runs it until told to stop. The
//! caller owns the listener and the shutdown signal, so tests bind port 0 and
//! stop the server when they are done.

use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use secrecy::{ExposeSecret, SecretString};
use tokio::net::TcpListener;

use crate::accounts::{
    AccountError, Accounts, AccountsConfig, EmailFlows, EmailFlowsConfig, PasswordHasher, PasswordPool,
};
use crate::api_keys::{ApiKeys, ApiKeysConfig, mint};
use crate::clock::Clock;
use crate::config::Settings;
use crate::domain::account::ApiKeyRole;
use crate::domain::client::IdTokenAlg;
use crate::domain::policy::PolicySet;
use crate::domain::session::SessionLimits;
use crate::eula::{Eulas, EulasConfig};
use crate::factors::{Factors, FactorsConfig};
use crate::health::{Health, HealthConfig};
use crate::http::{self, AppState};
use crate::licensing::{Licensing, LicensingConfig};
use crate::mail::{Mailer, MailerConfig};
use crate::metrics::Metrics;
use crate::oauth::{OAuth, OAuthConfig};
use crate::purge::{Purger, PurgerConfig};
use crate::secrets::{MasterKey, SecretError};
use crate::services::Services;
use crate::store::{self, Store, StoreError, StoreOptions};
use crate::support::{Support, SupportConfig};
use crate::tokens::{SigningKeys, SigningKeysConfig, Tokens, TokensConfig};

/// Why the application could not start; each names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Store(#[from] StoreError),
    /// The master key setting is missing or unreadable.
    #[error("{setting}: {problem}")]
    MasterKey {
        /// The setting at fault.
        setting: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// The master key is not the one the database was set up with.
    #[error(
        "the master key does not match this database (it was set up with another key); \
         point LATCHKEY_MASTER_KEY_FILE at the key this database was created with"
    )]
    WrongMasterKey,
    /// Password hashing could not be prepared.
    #[error("{0}")]
    Accounts(#[from] AccountError),
    /// The mail settings are unusable.
    #[error("mail: {0}")]
    Mail(String),
    /// An integration's secret file is unusable.
    #[error("integration `{name}`: {problem}")]
    Integration {
        /// The integration.
        name: String,
        /// What is wrong.
        problem: String,
    },
    /// An OAuth client entry that cannot work.
    #[error("client `{id}`: {problem}")]
    Client {
        /// The client id.
        id: String,
        /// What is wrong.
        problem: String,
    },
    /// Policy files that do not parse.
    #[error("bad license policies:\n{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Policies(Vec<crate::domain::policy::PolicyError>),
}

const MASTER_KEY_CHECK_CONTEXT: &str = "master-key-check";
const MASTER_KEY_CHECK_VALUE: &[u8] = b"latchkey";

/// A built application, ready to serve.
pub struct Application {
    services: Services,
    state: AppState,
    store: Arc<dyn Store>,
    /// Set on the very first start: the one-time admin API key to show the operator.
    pub first_admin_key: Option<SecretString>,
    /// The bounds on connections.
    limits: http::server::Limits,
    /// Where `/metrics` is served apart from the API, when it is.
    metrics_listener: Option<TcpListener>,
    /// Drains the mail outbox while the application serves; `None` while no
    /// way to send mail is configured (messages wait in the outbox).
    mailer: Option<Mailer>,
    /// Removes stale rows every `purge_interval` while the application serves.
    purger: Purger,
    purge_interval: std::time::Duration,
    /// The end-user pages' settings.
    pages: Arc<crate::web::Pages>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application").finish_non_exhaustive()
    }
}

impl Application {
    /// Connects and migrates the store (creating an SQLite database on first
    /// start), loads (or on first start creates) the master key, and
    /// prepares every service.
    pub async fn build(settings: Settings, clock: Arc<dyn Clock>) -> Result<Self, StartupError> {
        Self::build_on(settings, clock, true).await
    }

    /// The same for a command that works on the database the gateway
    /// already uses: a missing SQLite file is an error, not a new database.
    pub async fn open_existing(settings: Settings, clock: Arc<dyn Clock>) -> Result<Self, StartupError> {
        Self::build_on(settings, clock, false).await
    }

    async fn build_on(settings: Settings, clock: Arc<dyn Clock>, create: bool) -> Result<Self, StartupError> {
        let policies =
            Arc::new(crate::licensing::policies::load_dir(&settings.policies).map_err(StartupError::Policies)?);
        let options = StoreOptions {
            max_connections: settings.database_max_connections,
            sqlite_synchronous: settings.sqlite_synchronous,
            create,
            statement_cache: settings.database_statement_cache,
        };
        let store = store::connect(&settings.database_url, options).await?;
        report_pool_size(store.as_ref(), settings.database_max_connections).await;
        let master_key = Arc::new(load_master_key(&settings, store.as_ref()).await?);
        let first_admin_key = bootstrap(store.as_ref(), &master_key, clock.as_ref()).await?;
        check_integrations(&settings, &policies)?;
        check_clients(&settings, &policies)?;
        let metrics = Arc::new(Metrics::new());
        let services = build_services(&settings, &store, &clock, &master_key, &policies, &metrics).await?;
        warn_of_integrations_without_secret(&services).await;
        warn_of_clients_without_secret(&services).await;
        let from = settings.mail_from.parse().map_err(|e| StartupError::Mail(format!("LATCHKEY_MAIL_FROM: {e}")))?;
        let pages = Arc::new(crate::web::Pages::new(&settings, &master_key));
        let mailer = mail_transport(&settings)?.map(|transport| {
            Mailer::new(MailerConfig {
                store: store.clone(),
                clock: clock.clone(),
                master_key,
                transport,
                from,
                product: settings.product_name.clone(),
                public_url: settings.public_url.clone(),
            })
        });
        let purger = Purger::new(PurgerConfig { store: store.clone(), clock: clock.clone(), metrics: metrics.clone() });
        let state = AppState::new(services.clone(), &settings, clock, metrics);
        let limits = http::server::Limits {
            header_read_timeout: settings.header_read_timeout,
            idle_timeout: settings.idle_timeout,
            max_connections: settings.max_connections,
            shutdown_grace: settings.shutdown_grace,
        };
        Ok(Self {
            services,
            state,
            store,
            first_admin_key,
            mailer,
            purger,
            purge_interval: settings.purge_interval,
            pages,
            limits,
            metrics_listener: None,
        })
    }

    /// The services, for commands that act without serving.
    pub fn services(&self) -> &Services {
        &self.services
    }

    /// Serves `/metrics` on `listener` (the `metrics_listen` setting), apart
    /// from the API, for as long as the API is served.
    pub fn with_metrics_listener(mut self, listener: TcpListener) -> Self {
        self.metrics_listener = Some(listener);
        self
    }

    /// The HTTP application: the JSON API and everything served beside it.
    pub fn router(&self) -> Router {
        crate::web::app(self.state.clone(), self.pages.clone())
    }

    /// Serves on `listener` until `shutdown` completes, then lets in-flight
    /// requests finish, for at most the shutdown grace period.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let router = self.router();
        let metrics = self.metrics_listener.map(|listener| {
            let router = http::metrics_router(self.state.clone());
            tokio::spawn(async move { axum::serve(listener, router).await })
        });
        let (stop_workers, workers_stopped) = tokio::sync::watch::channel(false);
        let purge_worker = tokio::spawn(self.purger.clone().run(self.purge_interval, workers_stopped.clone()));
        let mail_worker = self.mailer.clone().map(|mailer| tokio::spawn(mailer.run(workers_stopped)));
        let served = http::server::serve(listener, router, shutdown, self.limits).await;
        // A message being sent finishes (SMTP has its own timeout); the rest waits in the outbox.
        // A purge stops between batches; the rest waits for the next run.
        let _ = stop_workers.send(true);
        if let Some(worker) = mail_worker
            && let Err(error) = worker.await
        {
            tracing::warn!(%error, "the mail worker ended abnormally");
        }
        if let Err(error) = purge_worker.await {
            tracing::warn!(%error, "the purge worker ended abnormally");
        }
        if let Some(metrics) = metrics {
            metrics.abort();
        }
        // Lets SQLite checkpoint its WAL and PostgreSQL end its sessions cleanly.
        self.store.close().await;
        served
    }
}

/// First-start work, once across all instances: the master key check and,
/// on a brand-new database, an admin key to show the operator.
async fn bootstrap(
    store: &dyn Store,
    master_key: &MasterKey,
    clock: &dyn Clock,
) -> Result<Option<SecretString>, StartupError> {
    let (first_key, token) = mint(ApiKeyRole::Admin, "first admin key", clock.now());
    let check = master_key.seal(MASTER_KEY_CHECK_CONTEXT, MASTER_KEY_CHECK_VALUE);
    let first_admin_key = store.bootstrap(&check, &first_key).await?.then_some(token.secret);
    // Re-read: another instance may have bootstrapped first, with another key.
    if let Some(stored) = store.meta("master_key_check").await? {
        master_key.open(MASTER_KEY_CHECK_CONTEXT, &stored).map_err(|_| StartupError::WrongMasterKey)?;
    }
    Ok(first_admin_key)
}

/// Every service, each built from its config struct.
async fn build_services(
    settings: &Settings,
    store: &Arc<dyn Store>,
    clock: &Arc<dyn Clock>,
    master_key: &Arc<MasterKey>,
    policies: &Arc<PolicySet>,
    metrics: &Arc<Metrics>,
) -> Result<Services, StartupError> {
    let issuer = settings.public_url.as_str().trim_end_matches('/').to_owned();
    let accounts = Accounts::new(AccountsConfig {
        store: store.clone(),
        clock: clock.clone(),
        passwords: PasswordHasher::new(
            PasswordPool::sized(settings.password_workers, settings.password_queue),
            metrics.clone(),
        )?,
        limits: SessionLimits {
            idle: time::Duration::try_from(settings.session_idle).unwrap_or(time::Duration::days(7)),
            absolute: time::Duration::try_from(settings.session_absolute).unwrap_or(time::Duration::days(30)),
        },
        signup: settings.signup,
        metrics: metrics.clone(),
    });
    let email = EmailFlows::new(EmailFlowsConfig {
        store: store.clone(),
        clock: clock.clone(),
        accounts: accounts.clone(),
        metrics: metrics.clone(),
    });
    let factors = Factors::new(FactorsConfig {
        store: store.clone(),
        clock: clock.clone(),
        master_key: master_key.clone(),
        accounts: accounts.clone(),
        policies: policies.clone(),
        webauthn: relying_party(settings).map(Arc::new),
        issuer: settings.product_name.clone(),
        metrics: metrics.clone(),
    });
    let eulas = Eulas::new(EulasConfig { store: store.clone(), clock: clock.clone(), metrics: metrics.clone() });
    let keys = Arc::new(SigningKeys::new(SigningKeysConfig {
        store: store.clone(),
        clock: clock.clone(),
        master_key: master_key.clone(),
        algorithm: settings.signing_algorithm,
        retention: policies.key_retention(),
        rsa_line: settings.clients.iter().any(|client| client.id_token_alg == IdTokenAlg::RS256),
    }));
    let tokens = Tokens::new(TokensConfig {
        store: store.clone(),
        clock: clock.clone(),
        keys: keys.clone(),
        master_key: master_key.clone(),
        integrations: Arc::new(settings.integrations.clone()),
        policies: policies.clone(),
        factors: factors.clone(),
        eulas: eulas.clone(),
        issuer: issuer.clone(),
        metrics: metrics.clone(),
    });
    let licensing = Licensing::new(LicensingConfig {
        store: store.clone(),
        clock: clock.clone(),
        policies: policies.clone(),
        master_key: master_key.clone(),
        factors: factors.clone(),
        eulas: eulas.clone(),
        keys: keys.clone(),
        issuer: issuer.clone(),
        require_verified_email: settings.require_verified_email,
        metrics: metrics.clone(),
    });
    let support = Support::new(SupportConfig {
        store: store.clone(),
        clock: clock.clone(),
        master_key: master_key.clone(),
        eulas: eulas.clone(),
        policies: policies.clone(),
        tokens: tokens.clone(),
    });
    let oauth = OAuth::new(OAuthConfig {
        store: store.clone(),
        clock: clock.clone(),
        keys: keys.clone(),
        licensing: licensing.clone(),
        tokens: tokens.clone(),
        clients: Arc::new(settings.clients.clone()),
        policies: policies.clone(),
        factors: factors.clone(),
        eulas: eulas.clone(),
        issuer,
    });
    let api_keys = ApiKeys::new(ApiKeysConfig { store: store.clone(), clock: clock.clone() });
    let health = Health::new(HealthConfig { store: store.clone(), metrics: metrics.clone() });
    Ok(Services { accounts, email, factors, licensing, eulas, tokens, keys, oauth, support, api_keys, health })
}

/// The way mail goes out, as the operator chose: SMTP; the log, for a
/// trial, with a warning that cannot be missed (links there are live
/// credentials); or none yet, the messages waiting in the outbox.
fn mail_transport(settings: &Settings) -> Result<Option<crate::mail::transport::Transport>, StartupError> {
    use crate::config::MailMode;
    use crate::mail::transport::Transport;
    match (settings.mail, &settings.smtp_url) {
        (MailMode::Smtp, Some(url)) => Transport::smtp(url.expose_secret()).map(Some).map_err(|e| {
            StartupError::Mail(format!("LATCHKEY_SMTP_URL: {e} (write smtp://host:port or smtps://user:pass@host)"))
        }),
        (MailMode::Smtp, None) => Err(StartupError::Mail("LATCHKEY_MAIL=smtp needs LATCHKEY_SMTP_URL".into())),
        (MailMode::Log, _) => {
            tracing::warn!(
                "LATCHKEY_MAIL=log: every message, with its links, is written to the log; anyone who reads the \
                 log can verify addresses and reset passwords. For trying Latchkey out only."
            );
            Ok(Some(Transport::Log))
        }
        (MailMode::Off, _) => {
            tracing::warn!(
                "no mail is sent: messages wait in the outbox until LATCHKEY_SMTP_URL is set \
                 (or LATCHKEY_MAIL=log, to read them in the log while trying Latchkey out)"
            );
            Ok(None)
        }
    }
}

/// A secret file that cannot be read stops the start, not the first
/// token; an audience a policy names but no integration defines is only
/// warned about, since integrations differ between deployments.
fn check_integrations(settings: &Settings, policies: &crate::domain::policy::PolicySet) -> Result<(), StartupError> {
    for integration in &settings.integrations {
        if let Some(path) = &integration.secret_file {
            crate::tokens::check_secret_file(path)
                .map_err(|problem| StartupError::Integration { name: integration.name.clone(), problem })?;
        }
    }
    for policy in policies.iter() {
        for audience in &policy.token_audiences {
            if !settings.integrations.iter().any(|i| &i.name == audience) {
                tracing::warn!(policy = %policy.name, %audience, "a policy lists an audience no [[integrations]] entry defines; tokens for it are refused");
            }
        }
    }
    Ok(())
}

/// A client must speak for a product some policy issues licenses for, and
/// a confidential one's secret must be readable: both stop the start, like
/// a bad policy, rather than the first sign-in.
fn check_clients(settings: &Settings, policies: &crate::domain::policy::PolicySet) -> Result<(), StartupError> {
    for client in &settings.clients {
        let problem = |problem: String| StartupError::Client { id: client.id.clone(), problem };
        if !policies.iter().any(|policy| policy.product == client.product) {
            return Err(problem(format!(
                "no policy in {} issues product `{}`",
                settings.policies.display(),
                client.product
            )));
        }
        if let Some(path) = &client.secret_file {
            crate::tokens::check_secret_file(path).map_err(problem)?;
        }
        // Anything but RS256 is the server's own key, which has one algorithm.
        let alg = client.id_token_alg;
        if alg != IdTokenAlg::RS256 && alg.as_str() != settings.signing_algorithm.as_str() {
            return Err(problem(format!(
                "id_token_signed_response_alg `{}` needs the server's signing algorithm to be {0} (it is {}); \
                 or use RS256",
                alg.as_str(),
                settings.signing_algorithm.as_str()
            )));
        }
    }
    Ok(())
}

/// A confidential client without its secret refuses every sign-in of its
/// app: say so by name at the start.
async fn warn_of_clients_without_secret(services: &Services) {
    match services.oauth.clients_without_secret().await {
        Ok(missing) => {
            for client in missing {
                tracing::warn!(
                    %client,
                    "confidential client has no secret: it cannot sign anyone in until \
                     `latchkey admin client set-secret {client}` (or secret_file) gives it one"
                );
            }
        }
        Err(error) => tracing::warn!(%error, "could not check the clients' secrets"),
    }
}

/// Every instance holds up to its pool of connections, so instances ×
/// pool must stay under what PostgreSQL (or the pooler in front of it)
/// allows, less what other clients need. One instance alone taking more
/// than a fifth of the server leaves room for four at most: say so.
async fn report_pool_size(store: &dyn Store, pool: u32) {
    match store.server_connection_limit().await {
        Ok(Some(limit)) if u64::from(pool) * 5 > u64::from(limit) => tracing::warn!(
            pool,
            max_connections = limit,
            "this instance may hold more than a fifth of PostgreSQL's connections: keep instances × \
             LATCHKEY_DATABASE_MAX_CONNECTIONS under max_connections (see \"Running many instances\")"
        ),
        Ok(Some(limit)) => tracing::info!(pool, max_connections = limit, "database connection pool"),
        Ok(None) => {}
        Err(error) => tracing::warn!(%error, "could not read PostgreSQL's max_connections"),
    }
}

/// An integration without its secret answers `unavailable` to every user
/// who asks for its token: say so by name at the start, not only then.
async fn warn_of_integrations_without_secret(services: &Services) {
    match services.tokens.integrations_without_secret().await {
        Ok(missing) => {
            for integration in missing {
                tracing::warn!(
                    %integration,
                    "integration has no shared secret: its tokens are refused until \
                     `latchkey admin integration set-secret {integration}` (or secret_file) gives it one"
                );
            }
        }
        Err(error) => tracing::warn!(%error, "could not check the integrations' secrets"),
    }
}

/// The WebAuthn relying party: our public origin, identified by its host.
/// WebAuthn works only with domain names; with an IP address passkeys are
/// off (and say why) while everything else keeps working.
fn relying_party(settings: &Settings) -> Option<webauthn_rs::Webauthn> {
    let origin = &settings.public_url;
    let built = origin.domain().ok_or_else(|| "the public URL has no domain name".to_owned()).and_then(|rp_id| {
        webauthn_rs::WebauthnBuilder::new(rp_id, origin)
            .and_then(|builder| builder.rp_name(&settings.product_name).build())
            .map_err(|e| e.to_string())
    });
    match built {
        Ok(webauthn) => Some(webauthn),
        Err(problem) => {
            tracing::warn!(public_url = %origin, %problem, "passkeys are disabled: LATCHKEY_PUBLIC_URL must use a domain name");
            None
        }
    }
}

/// Where the master key lives when the operator named none: beside the SQLite file.
fn default_key_file(settings: &Settings) -> Option<PathBuf> {
    store::sqlite_file(&settings.database_url).map(|db| db.with_file_name("master.key"))
}

async fn load_master_key(settings: &Settings, store: &dyn Store) -> Result<MasterKey, StartupError> {
    let bad = |setting: &'static str| move |e: SecretError| StartupError::MasterKey { setting, problem: e.to_string() };
    let existing_check = store.meta("master_key_check").await?;
    let key = if let Some(inline) = &settings.master_key {
        MasterKey::from_base64(inline).map_err(bad("LATCHKEY_MASTER_KEY"))?
    } else if let Some(path) = &settings.master_key_file {
        read_key_file(path)?.ok_or_else(|| StartupError::MasterKey {
            setting: "LATCHKEY_MASTER_KEY_FILE",
            problem: format!(
                "{} does not exist (make one with `openssl rand -base64 32 > {}`)",
                path.display(),
                path.display()
            ),
        })?
    } else if let Some(path) = default_key_file(settings) {
        match read_key_file(&path)? {
            Some(key) => key,
            None if existing_check.is_some() => {
                return Err(StartupError::MasterKey {
                    setting: "LATCHKEY_MASTER_KEY_FILE",
                    problem: format!(
                        "this database was set up with a master key at {}, which is missing",
                        path.display()
                    ),
                });
            }
            None => create_key_file(&path)?,
        }
    } else {
        return Err(StartupError::MasterKey {
            setting: "LATCHKEY_MASTER_KEY_FILE",
            problem:
                "required with PostgreSQL, and the same for every instance (make one with `openssl rand -base64 32`)"
                    .into(),
        });
    };
    if let Some(check) = existing_check {
        key.open(MASTER_KEY_CHECK_CONTEXT, &check).map_err(|_| StartupError::WrongMasterKey)?;
    }
    Ok(key)
}

fn read_key_file(path: &Path) -> Result<Option<MasterKey>, StartupError> {
    match std::fs::read_to_string(path) {
        Ok(text) => MasterKey::from_base64(&SecretString::from(text)).map(Some).map_err(|e| StartupError::MasterKey {
            setting: "LATCHKEY_MASTER_KEY_FILE",
            problem: format!("{}: {e}", path.display()),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StartupError::MasterKey {
            setting: "LATCHKEY_MASTER_KEY_FILE",
            problem: format!("cannot read {}: {e}", path.display()),
        }),
    }
}

/// Writes a new key readable only by this user; `create_new` so two starts
/// racing on one machine cannot overwrite each other's key.
fn create_key_file(path: &Path) -> Result<MasterKey, StartupError> {
    use std::os::unix::fs::OpenOptionsExt;
    let failed = |e: std::io::Error| StartupError::MasterKey {
        setting: "LATCHKEY_MASTER_KEY_FILE",
        problem: format!("cannot create {}: {e}", path.display()),
    };
    let (key, text) = MasterKey::generate();
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(failed)?;
    file.write_all(text.expose_secret().as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .and_then(|()| file.sync_all())
        .map_err(failed)?;
    tracing::info!(
        path = %path.display(),
        "created a new master key; back it up with the database, without it encrypted secrets cannot be read"
    );
    Ok(key)
}
