//! The command line. Results go alone to stdout so scripts can capture them;
//! everything else goes to stderr.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};
use secrecy::ExposeSecret;

use crate::api_keys::{ApiKeys, ApiKeysConfig};
use crate::clock::SystemClock;
use crate::config::{Settings, Sources};
use crate::domain::account::ApiKeyRole;
use crate::domain::license::Actor;
use crate::http::error::ApiError;
use crate::licensing::{IssueRequest, MAX_ISSUE_COUNT};
use crate::startup::Application;
use crate::store::{self, StoreOptions};

/// The parsed command line: global options and the command to run.
#[derive(Debug, Parser)]
#[command(
    name = "latchkey",
    version,
    about = "Latchkey: sign-in, licenses, EULA evidence and help-desk tokens for your end users.",
    long_about = "Latchkey lets the people who use your product activate what they bought, sign in safely, \
accept the EULA, and carry a token your help desk trusts.\n\n\
With no command it runs the gateway (`serve`) on http://127.0.0.1:8080 with SQLite in ./data. \
Settings come from defaults, then the --config file, then LATCHKEY_* environment variables."
)]
pub struct Cli {
    /// TOML settings file (also LATCHKEY_CONFIG).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What to do; `serve` when none is given.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What `latchkey` can be asked to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway (the default). Shows a one-time admin API key on the first start.
    Serve {
        /// Address to serve on (default 127.0.0.1:8080, or LATCHKEY_LISTEN).
        #[arg(long, value_name = "ADDR")]
        listen: Option<std::net::SocketAddr>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Administrative tasks on the configured database.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// License policy files.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
}

/// Commands on signing keys.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make a new signing key current and print its kid; the old key stays in the JWKS until what it signed has expired.
    Rotate {
        /// `ES256` or `EdDSA` (default: the `signing_algorithm` setting).
        #[arg(long)]
        algorithm: Option<crate::config::SigningAlgorithm>,
    },
}

/// Commands on license policy files.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Check the policy files without starting; prints each problem with its file and line.
    Check {
        /// The folder to check (default: the configured one, ./policies).
        dir: Option<PathBuf>,
    },
}

/// Administrative tasks on the configured database.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an API key for a tool and print it (shown only once).
    CreateKey {
        /// What the key may do: `admin` (everything) or `support` (verify callers, read timelines).
        #[arg(long, value_enum)]
        role: Role,
        /// A name to recognise the key by in listings.
        #[arg(long)]
        name: String,
    },
    /// Issue licenses in bulk and write their keys and activation codes as CSV.
    Issue {
        /// The policy to issue under (see `latchkey policy check`).
        #[arg(long)]
        policy: String,
        /// How many licenses (1 to 1000000).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
        count: u32,
        /// Only this account may redeem the codes.
        #[arg(long)]
        owner_email: Option<String>,
        /// Where to write the CSV (`-` for stdout, the default).
        #[arg(long, value_name = "FILE", default_value = "-")]
        csv: PathBuf,
    },
    /// EULA versions.
    #[command(subcommand)]
    Eula(EulaCommand),
    /// Integrations (help desks, chat widgets) from the settings file.
    #[command(subcommand)]
    Integration(IntegrationCommand),
    /// Apps that sign their users in (OAuth clients) from the settings file.
    #[command(subcommand)]
    Client(ClientCommand),
}

/// Commands on OAuth clients.
#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Set a confidential client's secret, read from standard input (never
    /// an argument, so it stays out of shell history); only its hash is
    /// kept. The old secret stops working at once.
    SetSecret {
        /// The client's id in the settings file.
        id: String,
    },
}

/// Commands on integrations (help desks, chat widgets).
#[derive(Debug, Subcommand)]
pub enum IntegrationCommand {
    /// Store an integration's shared secret, read from standard input (never
    /// an argument, so it stays out of shell history); sealed with the
    /// master key. New tokens use it at once.
    SetSecret {
        /// The integration's name in the settings file.
        name: String,
        /// The vendor's id for this secret (Zendesk: the key id); default: the settings file's `key_id`.
        #[arg(long)]
        key_id: Option<String>,
    },
}

/// Commands on EULA versions.
#[derive(Debug, Subcommand)]
pub enum EulaCommand {
    /// Publish a version from a file; published versions never change.
    Publish {
        /// The product the EULA governs.
        #[arg(long)]
        product: String,
        /// The version name.
        #[arg(long)]
        version: String,
        /// The text (Markdown), stored and hashed byte for byte.
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        /// Title shown above the text (default: "PRODUCT licence agreement").
        #[arg(long)]
        title: Option<String>,
        /// Language tag (default: en).
        #[arg(long)]
        locale: Option<String>,
        /// A material change: users must accept it before licensed features open again.
        #[arg(long)]
        material: bool,
    },
}

/// What an API key made on the command line may do.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Role {
    /// Everything.
    Admin,
    /// Verify callers and read timelines.
    Support,
}

impl From<Role> for ApiKeyRole {
    fn from(role: Role) -> Self {
        match role {
            Role::Admin => Self::Admin,
            Role::Support => Self::Support,
        }
    }
}

type CliResult = Result<(), Box<dyn std::error::Error>>;

/// A refusal from a service, in the same English the API uses.
fn explain(error: impl Into<ApiError>) -> String {
    error.into().message()
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> CliResult {
    let command = cli.command.unwrap_or(Command::Serve { listen: None });
    let mut env = Sources::process_env();
    if let Command::Serve { listen: Some(listen) } = &command {
        // As if set in the environment, so a default public URL follows it.
        env.insert("LATCHKEY_LISTEN".into(), listen.to_string());
    }
    let settings = Settings::load(Sources { file: cli.config.as_deref(), env })?;
    crate::telemetry::init(settings.log_format);
    match command {
        Command::Serve { .. } => serve(settings).await,
        Command::Migrate => {
            // Against PostgreSQL itself, never a transaction-mode pooler: the
            // migrator holds a session lock so that two runs cannot race.
            let options = StoreOptions { create: true, statement_cache: 100, ..store_options(&settings) };
            let store = store::connect_unmigrated(&settings.database_url, options).await?;
            crate::store::Store::migrate(&store).await?;
            eprintln!("migrations applied to {}", settings.database_url);
            Ok(())
        }
        Command::Policy(PolicyCommand::Check { dir }) => {
            check_policies(&dir.unwrap_or_else(|| settings.policies.clone()))
        }
        Command::Keys(KeysCommand::Rotate { algorithm }) => {
            let app = open(settings).await?;
            let kid = app.services().keys.rotate(algorithm).await.map_err(explain)?;
            println!("{kid}");
            Ok(())
        }
        Command::Admin(AdminCommand::Integration(IntegrationCommand::SetSecret { name, key_id })) => {
            let app = open(settings).await?;
            let mut secret = String::new();
            std::io::stdin().read_line(&mut secret)?;
            let secret = secrecy::SecretString::from(secret.trim_end_matches(['\n', '\r']).to_owned());
            let key_id = app.services().tokens.set_secret(&name, key_id, secret).await.map_err(explain)?;
            eprintln!("stored the secret for {name}{}", key_id.map(|k| format!(" (key id {k})")).unwrap_or_default());
            Ok(())
        }
        Command::Admin(AdminCommand::Client(ClientCommand::SetSecret { id })) => {
            let app = open(settings).await?;
            let mut secret = String::new();
            std::io::stdin().read_line(&mut secret)?;
            let secret = secrecy::SecretString::from(secret.trim_end_matches(['\n', '\r']).to_owned());
            app.services().oauth.set_client_secret(&id, &secret).await.map_err(|e| e.to_string())?;
            eprintln!("stored the secret for client {id}");
            Ok(())
        }
        Command::Admin(AdminCommand::Issue { policy, count, owner_email, csv }) => {
            let app = open(settings).await?;
            issue_csv(&app, policy, count, owner_email, &csv).await
        }
        Command::Admin(AdminCommand::Eula(EulaCommand::Publish {
            product,
            version,
            file,
            title,
            locale,
            material,
        })) => {
            let body = std::fs::read_to_string(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let app = open(settings).await?;
            let title = title.unwrap_or_else(|| format!("{product} licence agreement"));
            let publication = crate::eula::Publication { product, version, locale, title, body, material };
            let document = app.services().eulas.publish(publication).await.map_err(explain)?;
            println!("{}", document.sha256);
            eprintln!(
                "published {} {} ({}), material: {}",
                document.product, document.version, document.locale, document.material
            );
            Ok(())
        }
        Command::Admin(AdminCommand::CreateKey { role, name }) => {
            let store = store::connect(&settings.database_url, store_options(&settings)).await?;
            let keys = ApiKeys::new(ApiKeysConfig { store, clock: Arc::new(SystemClock) });
            let (_, token) = keys.create(role.into(), &name).await.map_err(explain)?;
            println!("{}", token.secret.expose_secret());
            Ok(())
        }
    }
}

/// How commands other than `serve` and `migrate` open the database: the
/// one that exists, never a new one.
fn store_options(settings: &Settings) -> StoreOptions {
    StoreOptions {
        max_connections: 2,
        sqlite_synchronous: settings.sqlite_synchronous,
        create: false,
        statement_cache: settings.database_statement_cache,
    }
}

/// `policy check`: every file's problems, or one line per policy.
fn check_policies(dir: &Path) -> CliResult {
    if !dir.is_dir() {
        return Err(format!("{} is not a folder of policy files", dir.display()).into());
    }
    match crate::licensing::policies::load_dir(dir) {
        Ok(set) if set.is_empty() => Err(format!("{} holds no policy files (*.toml)", dir.display()).into()),
        Ok(set) => {
            for policy in set.iter() {
                println!("{}\t{}\t{}", policy.name, policy.product, policy.revision);
            }
            eprintln!("{}: {} policies, all valid", dir.display(), set.len());
            Ok(())
        }
        Err(errors) => {
            for error in &errors {
                eprintln!("{error}");
            }
            Err(format!("{} policy file(s) have problems", errors.len()).into())
        }
    }
}

/// Opens the gateway's database for a command. On a database no instance
/// has started yet, that includes the one-time admin key, which must be
/// shown whichever command ran first.
async fn open(settings: Settings) -> Result<Application, Box<dyn std::error::Error>> {
    let key_file = first_admin_key_file(&settings);
    let app = Application::open_existing(settings, Arc::new(SystemClock)).await?;
    show_first_admin_key(&app, &key_file)?;
    Ok(app)
}

/// Where the first admin key goes when there is no terminal to show it on:
/// beside an SQLite database, else in the working folder.
fn first_admin_key_file(settings: &Settings) -> PathBuf {
    store::sqlite_file(&settings.database_url)
        .map_or_else(|| PathBuf::from("first-admin-key"), |db| db.with_file_name("first-admin-key"))
}

/// Shows the first admin key to the operator, and to nothing else: on the
/// terminal when there is one; otherwise (a service manager, a pipe, JSON
/// logs shipped elsewhere) in a file only this user can read.
fn show_first_admin_key(app: &Application, file: &Path) -> Result<(), Box<dyn std::error::Error>> {
    use std::io::{IsTerminal, Write};
    use std::os::unix::fs::OpenOptionsExt;
    let Some(key) = &app.first_admin_key else { return Ok(()) };
    if std::io::stderr().is_terminal() {
        eprintln!(
            "\n  First start: an admin API key was created. It is shown only this once:\n\n    {}\n\n  \
             Use it as `Authorization: Bearer <key>` on /v1/admin/… endpoints.\n",
            key.expose_secret()
        );
        return Ok(());
    }
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(file)
        .map_err(|e| format!("cannot write the first admin key to {}: {e}", file.display()))?;
    writeln!(out, "{}", key.expose_secret())?;
    eprintln!(
        "First start: an admin API key was created and written to {} (readable by this user only). \
         Read it, keep it somewhere safe, and delete the file.",
        file.display()
    );
    Ok(())
}

/// Issues in batches (each one transaction), with a progress bar on stderr.
async fn issue_csv(
    app: &Application,
    policy: String,
    count: u32,
    owner_email: Option<String>,
    out: &Path,
) -> CliResult {
    use std::os::unix::fs::OpenOptionsExt;
    let sink: Box<dyn std::io::Write> = if out.as_os_str() == "-" {
        Box::new(std::io::stdout())
    } else {
        // Activation codes are secrets until handed out: not for other users' eyes.
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(out)
            .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
        Box::new(file)
    };
    let mut writer = csv::Writer::from_writer(sink);
    writer.write_record(["id", "key", "activation_code", "policy", "expires_at"])?;
    let progress = indicatif::ProgressBar::new(u64::from(count));
    progress.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} licenses ({eta} left)")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut remaining = count;
    while remaining > 0 {
        let batch = remaining.min(MAX_ISSUE_COUNT);
        let request = IssueRequest {
            policy: policy.clone(),
            count: batch,
            owner_email: owner_email.clone(),
            expires_at: None,
            entitlements: None,
            metadata: None,
        };
        let issued = app.services().licensing.issue(request, &Actor::Cli, None).await.map_err(explain)?;
        for item in &issued.licenses {
            let expires = item
                .license
                .expires_at
                .map(|at| at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default())
                .unwrap_or_default();
            writer.write_record([
                item.license.id.as_str(),
                item.key.as_str(),
                item.code.as_str(),
                &item.license.policy,
                &expires,
            ])?;
        }
        writer.flush()?;
        progress.inc(u64::from(batch));
        remaining -= batch;
    }
    progress.finish_and_clear();
    eprintln!("issued {count} licenses under {policy}");
    Ok(())
}

async fn serve(settings: Settings) -> CliResult {
    let listen = settings.listen;
    let database = settings.database_url.to_string();
    let key_file = first_admin_key_file(&settings);
    let metrics_listen = settings.metrics_listen;
    let mut app = Application::build(settings, Arc::new(SystemClock)).await?;
    show_first_admin_key(&app, &key_file)?;
    if let Some(address) = metrics_listen {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|e| format!("LATCHKEY_METRICS_LISTEN: cannot listen on {address}: {e}"))?;
        tracing::info!(%address, "metrics are served apart from the API");
        app = app.with_metrics_listener(listener);
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("LATCHKEY_LISTEN: cannot listen on {listen}: {e}"))?;
    tracing::info!(address = %listen, database = %database, "Latchkey is serving");
    app.serve(listener, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
