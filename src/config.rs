//! Typed settings: defaults, then an optional TOML file, then `LATCHKEY_*`
//! environment variables. Every setting is parsed once here, and a bad value
//! stops the start with a message naming the setting and where it came from.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::domain::client::{Client, RawClient};
use crate::domain::integration::{Integration, RawIntegration};

/// Why the settings could not be loaded; always names the setting at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The settings file could not be read.
    #[error("cannot read config file {path}: {source}")]
    ReadFile {
        /// The settings file.
        path: PathBuf,
        /// Why reading it failed.
        source: std::io::Error,
    },
    /// The settings file is not valid TOML.
    #[error("config file {path} is not valid TOML: {message}")]
    Toml {
        /// The settings file.
        path: PathBuf,
        /// The TOML parser's complaint, with line and column.
        message: String,
    },
    /// The settings file names a setting Latchkey does not have (often a misspelling).
    #[error("config file {path}: unknown setting `{key}` (known settings: {known})")]
    UnknownKey {
        /// The settings file.
        path: PathBuf,
        /// The unknown setting, as written.
        key: String,
        /// Every setting the file accepts, comma-separated.
        known: String,
    },
    /// A setting's value was refused.
    #[error("{origin}: {message}")]
    Invalid {
        /// Where the value came from: a `LATCHKEY_*` variable or a key in the file.
        origin: String,
        /// What is wrong with it.
        message: String,
    },
}

/// How new accounts may be created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignupMode {
    /// Anyone may sign up.
    Open,
    /// Accounts are created only while redeeming an activation code.
    ActivationCodeOnly,
}

impl FromStr for SignupMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "open" => Ok(Self::Open),
            "activation_code_only" => Ok(Self::ActivationCodeOnly),
            _ => Err(format!("expected `open` or `activation_code_only`, got `{s}`")),
        }
    }
}

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Plain lines for people to read.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            _ => Err(format!("expected `text` or `json`, got `{s}`")),
        }
    }
}

/// The algorithm of signing keys the server makes (the first one, and at
/// each rotation); keys already made keep theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SigningAlgorithm {
    /// ECDSA on P-256 with SHA-256; the default, understood everywhere.
    #[default]
    Es256,
    /// Ed25519.
    EdDsa,
}

impl SigningAlgorithm {
    /// The JOSE `alg` name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::EdDsa => "EdDSA",
        }
    }
}

impl FromStr for SigningAlgorithm {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ES256" | "es256" => Ok(Self::Es256),
            "EdDSA" | "eddsa" | "Ed25519" | "ed25519" => Ok(Self::EdDsa),
            _ => Err(format!("expected `ES256` or `EdDSA`, got `{s}`")),
        }
    }
}

/// A database URL; may hold a password, so `Debug` and `Display` mask it.
#[derive(Clone)]
pub struct DatabaseUrl(SecretString);

impl DatabaseUrl {
    /// Wraps a URL given in clear.
    pub fn new(url: impl Into<String>) -> Self {
        Self(SecretString::from(url.into()))
    }

    /// The whole URL, password included: only for connecting, never for showing.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// Whether it names a PostgreSQL database (`postgres://` or `postgresql://`).
    pub fn is_postgres(&self) -> bool {
        let url = self.expose();
        url.starts_with("postgres://") || url.starts_with("postgresql://")
    }

    /// Whether it names a SQLite file (`sqlite:`).
    pub fn is_sqlite(&self) -> bool {
        self.expose().starts_with("sqlite:")
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only what identifies the database: credentials hide in the user
        // part and in query parameters alike.
        if self.is_sqlite() {
            return f.write_str(self.expose().split('?').next().unwrap_or_default());
        }
        match Url::parse(self.expose()) {
            Ok(url) => {
                let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
                write!(f, "{}://{}{port}{}", url.scheme(), url.host_str().unwrap_or_default(), url.path())
            }
            Err(_) => f.write_str("<unparseable database url>"),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// Everything the gateway can be told. See `API.md` for the operator contract.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address the HTTP server binds.
    pub listen: SocketAddr,
    /// `sqlite://PATH` or `postgres://…`; the scheme picks the store.
    pub database_url: DatabaseUrl,
    /// The origin users see: token issuer, WebAuthn origin and RP id, cookie security.
    pub public_url: Url,
    /// Folder of license policy files.
    pub policies: PathBuf,
    /// The master key given inline (base64 of 32 bytes).
    pub master_key: Option<SecretString>,
    /// File holding the master key; defaults to `master.key` beside the SQLite file.
    pub master_key_file: Option<PathBuf>,
    /// Who may create an account.
    pub signup: SignupMode,
    /// Credential attempts allowed per client IP per minute.
    pub ip_rate_per_minute: u32,
    /// Calls product software may make per client IP per minute (validate,
    /// heartbeats): generous, since an office shares one address.
    pub product_rate_per_minute: u32,
    /// The reverse proxies whose `X-Forwarded-For` is believed; empty, the
    /// socket peer is the client.
    pub trusted_proxies: Vec<IpNet>,
    /// A session unused this long expires.
    pub session_idle: Duration,
    /// A session expires this long after sign-in, however active.
    pub session_absolute: Duration,
    /// Upper bound on the time one request may take, reading its body included.
    pub request_timeout: Duration,
    /// Time a client gets to send a request's head (and the longest a
    /// keep-alive connection waits for the next one).
    pub header_read_timeout: Duration,
    /// A keep-alive connection with nothing in flight this long is closed.
    pub idle_timeout: Duration,
    /// Most connections open at once.
    pub max_connections: usize,
    /// On SIGTERM, how long in-flight requests get before the process stops anyway.
    pub shutdown_grace: Duration,
    /// How often this instance removes rows that can no longer matter
    /// (old attempts, ended sessions, spent links, sent mail, retired keys).
    pub purge_interval: Duration,
    /// Text or JSON log lines.
    pub log_format: LogFormat,
    /// Shown to users: TOTP issuer, mail sender name, page titles.
    pub product_name: String,
    /// Most database connections this instance holds open at once.
    pub database_max_connections: u32,
    /// Prepared statements kept per PostgreSQL connection; 0 for a
    /// transaction-mode pooler (no named statements, every statement in a
    /// transaction).
    pub database_statement_cache: usize,
    /// Threads hashing passwords at once, each holding 19 MiB; `None` is
    /// one per core, at most four.
    pub password_workers: Option<usize>,
    /// Password checks that may wait for a hashing thread before the next
    /// is refused (503 + `Retry-After`); `None` is four per worker.
    pub password_queue: Option<usize>,
    /// `smtp://host:port` or `smtps://user:pass@host`.
    pub smtp_url: Option<SecretString>,
    /// Where mail goes: SMTP, the log (development only), or nowhere yet.
    pub mail: MailMode,
    /// Sender of every message.
    pub mail_from: String,
    /// Algorithm of the signing keys the server makes.
    pub signing_algorithm: SigningAlgorithm,
    /// Activation codes are redeemed only by accounts whose address is verified.
    pub require_verified_email: bool,
    /// Audiences users may ask tokens for; only in the file (`[[integrations]]`).
    pub integrations: Vec<Integration>,
    /// Apps that sign their users in through us (OAuth); only in the file (`[[clients]]`).
    pub clients: Vec<Client>,
    /// Serve `/metrics` on this address only, apart from the API.
    pub metrics_listen: Option<SocketAddr>,
    /// How SQLite commits: `full` (survives power loss) or `normal` (faster).
    pub sqlite_synchronous: SqliteSynchronous,
    /// The vendor's own help page, linked from every page's help.
    pub help_url: Option<Url>,
    /// Web origins (the vendor's own sites) whose scripts may call the JSON
    /// API from a browser; none by default.
    pub cors_origins: Vec<String>,
}

/// Where mail goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailMode {
    /// An SMTP server (`smtp_url`).
    Smtp,
    /// The log, links intact: for trying Latchkey out, never for production.
    Log,
    /// Nowhere yet: messages wait in the outbox until SMTP is configured.
    Off,
}

impl FromStr for MailMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "smtp" => Ok(Self::Smtp),
            "log" => Ok(Self::Log),
            "off" => Ok(Self::Off),
            _ => Err(format!("expected `smtp`, `log` or `off`, got `{s}`")),
        }
    }
}

/// How SQLite commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqliteSynchronous {
    /// Every commit reaches the disk: an acknowledged seat or acceptance survives power loss.
    Full,
    /// Commits survive a crash of the process, not of the machine; faster writes.
    Normal,
}

impl FromStr for SqliteSynchronous {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "full" => Ok(Self::Full),
            "normal" => Ok(Self::Normal),
            _ => Err(format!("expected `full` or `normal`, got `{s}`")),
        }
    }
}

/// An address or a CIDR block (`10.0.0.0/8`, `::1`, `2001:db8::/32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    network: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// Whether `ip` is in the block.
    pub fn contains(&self, ip: IpAddr) -> bool {
        fn bits(ip: IpAddr) -> (u128, u8) {
            match ip {
                IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32),
                IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                    Some(v4) => (u128::from(u32::from(v4)), 32),
                    None => (u128::from(v6), 128),
                },
            }
        }
        let ((net, width), (candidate, candidate_width)) = (bits(self.network), bits(ip));
        if width != candidate_width {
            return false;
        }
        let shift = u32::from(width - self.prefix);
        net.checked_shr(shift).unwrap_or(0) == candidate.checked_shr(shift).unwrap_or(0)
    }
}

impl FromStr for IpNet {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not an address or a CIDR block (such as 10.0.0.0/8)");
        let (address, prefix) = s.trim().split_once('/').map_or((s.trim(), None), |(a, p)| (a, Some(p)));
        let network: IpAddr = address.parse().map_err(|_| bad())?;
        let width = if network.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.map(str::parse::<u8>).transpose().map_err(|_| bad())?.unwrap_or(width);
        if prefix > width {
            return Err(bad());
        }
        Ok(Self { network, prefix })
    }
}

/// A comma-separated list of proxies.
struct ProxyList(Vec<IpNet>);

impl FromStr for ProxyList {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.split(',').map(str::trim).filter(|p| !p.is_empty()).map(IpNet::from_str).collect::<Result<_, _>>().map(Self)
    }
}

/// Web origins, comma-separated: `https://www.example.com`, scheme and host
/// (and port) only, as browsers send them in `Origin`.
struct OriginList(Vec<String>);

impl FromStr for OriginList {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(|origin| {
                let url = Url::parse(origin).map_err(|e| format!("`{origin}`: {e}"))?;
                let serialized = url.origin().ascii_serialization();
                let bare = serialized == origin.trim_end_matches('/') && !origin.contains('*');
                if matches!(url.scheme(), "http" | "https") && bare {
                    Ok(serialized)
                } else {
                    Err(format!("`{origin}` is not an origin such as https://www.example.com (no path, no wildcard)"))
                }
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

/// Every key the file accepts; the environment variable is `LATCHKEY_` + upper case.
const KEYS: &[&str] = &[
    "listen",
    "database_url",
    "database_url_file",
    "public_url",
    "policies",
    "master_key",
    "master_key_file",
    "signup",
    "ip_rate_per_minute",
    "product_rate_per_minute",
    "trust_forwarded_for",
    "trusted_proxies",
    "session_idle",
    "session_absolute",
    "request_timeout",
    "header_read_timeout",
    "idle_timeout",
    "max_connections",
    "shutdown_grace",
    "purge_interval",
    "log_format",
    "product_name",
    "database_max_connections",
    "database_statement_cache",
    "password_workers",
    "password_queue",
    "smtp_url",
    "smtp_url_file",
    "mail",
    "mail_from",
    "signing_algorithm",
    "require_verified_email",
    "metrics_listen",
    "sqlite_synchronous",
    "help_url",
    "cors_origins",
];

/// The one structured setting: a list of tables, so it has no environment variable.
const INTEGRATIONS_KEY: &str = "integrations";
/// The other list of tables: OAuth clients.
const CLIENTS_KEY: &str = "clients";

/// Where settings come from; tests pass their own environment map.
pub struct Sources<'a> {
    /// The settings file named on the command line; without it, `LATCHKEY_CONFIG` in `env` may name one.
    pub file: Option<&'a Path>,
    /// The `LATCHKEY_*` variables, usually from [`Sources::process_env`].
    pub env: HashMap<String, String>,
}

impl Sources<'_> {
    /// The process environment, restricted to `LATCHKEY_*`.
    pub fn process_env() -> HashMap<String, String> {
        std::env::vars().filter(|(k, _)| k.starts_with("LATCHKEY_")).collect()
    }
}

/// A raw value and the place it came from, for error messages.
struct Raw {
    value: String,
    origin: String,
}

struct Resolver {
    file_path: Option<PathBuf>,
    file: BTreeMap<String, Raw>,
    env: HashMap<String, String>,
}

impl Resolver {
    fn raw(&self, key: &str) -> Option<Raw> {
        let var = format!("LATCHKEY_{}", key.to_ascii_uppercase());
        if let Some(value) = self.env.get(&var) {
            return Some(Raw { value: value.clone(), origin: var });
        }
        self.file.get(key).map(|raw| Raw { value: raw.value.clone(), origin: raw.origin.clone() })
    }

    fn parse<T>(&self, key: &str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        match self.raw(key) {
            None => Ok(default),
            Some(raw) => raw
                .value
                .trim()
                .parse()
                .map_err(|e: T::Err| ConfigError::Invalid { origin: raw.origin, message: e.to_string() }),
        }
    }

    fn duration(&self, key: &str, default: Duration) -> Result<Duration, ConfigError> {
        match self.raw(key) {
            None => Ok(default),
            Some(raw) => humantime::parse_duration(raw.value.trim()).map_err(|e| ConfigError::Invalid {
                origin: raw.origin,
                message: format!("{e} (write e.g. `30s`, `15m`, `7d`)"),
            }),
        }
    }

    fn path(&self, key: &str) -> Option<PathBuf> {
        self.raw(key).map(|raw| {
            let path = PathBuf::from(raw.value);
            // Relative paths in a config file are relative to that file.
            match (&self.file_path, raw.origin.starts_with("LATCHKEY_")) {
                (Some(file), false) if path.is_relative() => file.parent().map(|dir| dir.join(&path)).unwrap_or(path),
                _ => path,
            }
        })
    }

    /// A secret given inline (`KEY`) or read from a file (`KEY_FILE`).
    fn secret(&self, key: &str) -> Result<Option<SecretString>, ConfigError> {
        let file_key = format!("{key}_file");
        match (self.raw(key), self.path(&file_key)) {
            (Some(inline), Some(_)) => Err(ConfigError::Invalid {
                origin: inline.origin,
                message: format!("set either `{key}` or `{file_key}`, not both"),
            }),
            (Some(inline), None) => Ok(Some(SecretString::from(inline.value))),
            (None, Some(path)) => std::fs::read_to_string(&path)
                .map(|text| Some(SecretString::from(text.trim_end_matches(['\n', '\r']).to_owned())))
                .map_err(|e| ConfigError::Invalid {
                    origin: format!("LATCHKEY_{}", file_key.to_ascii_uppercase()),
                    message: format!("cannot read {}: {e}", path.display()),
                }),
            (None, None) => Ok(None),
        }
    }
}

/// What a settings file holds: scalar settings, the integrations and the clients.
struct FileSettings {
    values: BTreeMap<String, Raw>,
    integrations: Vec<Integration>,
    clients: Vec<Client>,
}

/// Relative paths in the settings file are relative to the file, like every other path in it.
fn beside(settings_file: &Path, path: PathBuf) -> PathBuf {
    let dir = settings_file.parent().unwrap_or(Path::new("."));
    if path.is_relative() { dir.join(path) } else { path }
}

fn load_clients(path: &Path, value: toml::Value) -> Result<Vec<Client>, ConfigError> {
    let invalid =
        |message: String| ConfigError::Invalid { origin: format!("{} key `{CLIENTS_KEY}`", path.display()), message };
    let raws: Vec<RawClient> = value
        .try_into()
        .map_err(|e: toml::de::Error| invalid(format!("write each as a [[clients]] table: {}", e.message())))?;
    let mut clients: Vec<Client> = Vec::new();
    for raw in raws {
        let mut client = raw.validate().map_err(invalid)?;
        if clients.iter().any(|known| known.id == client.id) {
            return Err(invalid(format!("two clients have the id `{}`", client.id)));
        }
        client.secret_file = client.secret_file.take().map(|secret| beside(path, secret));
        clients.push(client);
    }
    Ok(clients)
}

fn load_integrations(path: &Path, value: toml::Value) -> Result<Vec<Integration>, ConfigError> {
    let invalid = |message: String| ConfigError::Invalid {
        origin: format!("{} key `{INTEGRATIONS_KEY}`", path.display()),
        message,
    };
    let raws: Vec<RawIntegration> = value
        .try_into()
        .map_err(|e: toml::de::Error| invalid(format!("write each as an [[integrations]] table: {}", e.message())))?;
    let mut integrations: Vec<Integration> = Vec::new();
    for raw in raws {
        let mut integration = raw.validate().map_err(invalid)?;
        if integrations.iter().any(|known| known.name == integration.name) {
            return Err(invalid(format!("two integrations are named `{}`", integration.name)));
        }
        integration.secret_file = integration.secret_file.take().map(|secret| beside(path, secret));
        integrations.push(integration);
    }
    Ok(integrations)
}

fn load_file(path: &Path) -> Result<FileSettings, ConfigError> {
    let text =
        std::fs::read_to_string(path).map_err(|source| ConfigError::ReadFile { path: path.to_owned(), source })?;
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| ConfigError::Toml { path: path.to_owned(), message: e.to_string() })?;
    let mut values = BTreeMap::new();
    let mut integrations = Vec::new();
    let mut clients = Vec::new();
    for (key, value) in table {
        if key == INTEGRATIONS_KEY {
            integrations = load_integrations(path, value)?;
            continue;
        }
        if key == CLIENTS_KEY {
            clients = load_clients(path, value)?;
            continue;
        }
        if !KEYS.contains(&key.as_str()) {
            let known = format!("{}, {INTEGRATIONS_KEY}, {CLIENTS_KEY}", KEYS.join(", "));
            return Err(ConfigError::UnknownKey { path: path.to_owned(), key, known });
        }
        let value = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => {
                return Err(ConfigError::Invalid {
                    origin: format!("{} key `{key}`", path.display()),
                    message: format!("expected a string, number or boolean, got {}", other.type_str()),
                });
            }
        };
        values.insert(key.clone(), Raw { value, origin: format!("{} key `{key}`", path.display()) });
    }
    Ok(FileSettings { values, integrations, clients })
}

impl Settings {
    /// Resolves the settings from defaults, the file and the environment.
    pub fn load(sources: Sources<'_>) -> Result<Self, ConfigError> {
        let file_path =
            sources.file.map(Path::to_owned).or_else(|| sources.env.get("LATCHKEY_CONFIG").map(PathBuf::from));
        let FileSettings { values: file, integrations, clients } = match &file_path {
            Some(path) => load_file(path)?,
            None => FileSettings { values: BTreeMap::new(), integrations: Vec::new(), clients: Vec::new() },
        };
        let unknown_env = sources
            .env
            .keys()
            .filter(|var| var.starts_with("LATCHKEY_") && *var != "LATCHKEY_CONFIG")
            .find(|var| !KEYS.iter().any(|key| format!("LATCHKEY_{}", key.to_ascii_uppercase()) == **var));
        if let Some(var) = unknown_env {
            let message = if *var == format!("LATCHKEY_{}", INTEGRATIONS_KEY.to_ascii_uppercase()) {
                "integrations are tables: write them as [[integrations]] in the settings file"
            } else if *var == format!("LATCHKEY_{}", CLIENTS_KEY.to_ascii_uppercase()) {
                "clients are tables: write them as [[clients]] in the settings file"
            } else {
                "not a Latchkey setting (check the spelling)"
            };
            return Err(ConfigError::Invalid { origin: var.clone(), message: message.into() });
        }
        let r = Resolver { file_path, file, env: sources.env };

        let database_url = r
            .secret("database_url")?
            .map(|s| DatabaseUrl::new(s.expose_secret()))
            .unwrap_or_else(|| DatabaseUrl::new("sqlite://./data/latchkey.db"));
        if !database_url.is_sqlite() && !database_url.is_postgres() {
            return Err(ConfigError::Invalid {
                origin: "LATCHKEY_DATABASE_URL".into(),
                message: "must start with `sqlite://` or `postgres://`".into(),
            });
        }
        if let Some(raw) = r.raw("trust_forwarded_for") {
            return Err(ConfigError::Invalid {
                origin: raw.origin,
                message: "replaced by `trusted_proxies`: list your proxies' addresses or CIDR blocks \
                          (LATCHKEY_TRUSTED_PROXIES=10.0.0.0/8); X-Forwarded-For is believed only from them"
                    .into(),
            });
        }
        let listen: SocketAddr = r.parse("listen", SocketAddr::from(([127, 0, 0, 1], 8080)))?;
        let public_url: Url = r.parse("public_url", default_public_url(listen))?;
        if !matches!(public_url.scheme(), "http" | "https") || public_url.host_str().is_none() {
            return Err(ConfigError::Invalid {
                origin: "LATCHKEY_PUBLIC_URL".into(),
                message: "must be an http:// or https:// origin such as https://login.example.com".into(),
            });
        }
        // Session cookies, form tokens and passkeys rely on a secure origin;
        // browsers treat only the local machine as one without TLS.
        if public_url.scheme() == "http" && !crate::domain::is_this_machine(&public_url) {
            return Err(ConfigError::Invalid {
                origin: "LATCHKEY_PUBLIC_URL".into(),
                message: "must be https:// (plain http only for localhost): browsers sign in safely only over TLS"
                    .into(),
            });
        }
        let smtp_url = r.secret("smtp_url")?;
        let invalid =
            |origin: &str, message: &str| ConfigError::Invalid { origin: origin.into(), message: message.into() };
        let settings = Self {
            listen,
            database_url,
            public_url,
            policies: r.path("policies").unwrap_or_else(|| PathBuf::from("./policies")),
            master_key: r.raw("master_key").map(|raw| SecretString::from(raw.value)),
            master_key_file: r.path("master_key_file"),
            signup: r.parse("signup", SignupMode::Open)?,
            ip_rate_per_minute: r.parse("ip_rate_per_minute", 60)?,
            product_rate_per_minute: r.parse("product_rate_per_minute", 6000)?,
            trusted_proxies: r.parse("trusted_proxies", ProxyList(Vec::new()))?.0,
            session_idle: r.duration("session_idle", Duration::from_secs(7 * 24 * 3600))?,
            session_absolute: r.duration("session_absolute", Duration::from_secs(30 * 24 * 3600))?,
            request_timeout: r.duration("request_timeout", Duration::from_secs(30))?,
            header_read_timeout: r.duration("header_read_timeout", Duration::from_secs(10))?,
            idle_timeout: r.duration("idle_timeout", Duration::from_secs(60))?,
            max_connections: r.parse("max_connections", 512)?,
            shutdown_grace: r.duration("shutdown_grace", Duration::from_secs(10))?,
            purge_interval: r.duration("purge_interval", Duration::from_secs(10 * 60))?,
            log_format: r.parse("log_format", LogFormat::Text)?,
            product_name: r.parse("product_name", "Latchkey".to_owned())?,
            database_max_connections: r.parse("database_max_connections", 10)?,
            database_statement_cache: r.parse("database_statement_cache", 100)?,
            password_workers: r.raw("password_workers").map(|_| r.parse("password_workers", 1)).transpose()?,
            password_queue: r.raw("password_queue").map(|_| r.parse("password_queue", 0)).transpose()?,
            smtp_url: smtp_url.clone(),
            mail: r.parse("mail", if smtp_url.is_some() { MailMode::Smtp } else { MailMode::Off })?,
            mail_from: r.parse("mail_from", "Latchkey <no-reply@localhost>".to_owned())?,
            signing_algorithm: r.parse("signing_algorithm", SigningAlgorithm::Es256)?,
            require_verified_email: r.parse("require_verified_email", false)?,
            integrations,
            clients,
            metrics_listen: r.raw("metrics_listen").map(|_| r.parse("metrics_listen", listen)).transpose()?,
            sqlite_synchronous: r.parse("sqlite_synchronous", SqliteSynchronous::Full)?,
            help_url: r.raw("help_url").map(|_| r.parse("help_url", default_public_url(listen))).transpose()?,
            cors_origins: r.parse("cors_origins", OriginList(Vec::new()))?.0,
        };
        match (settings.mail, &settings.smtp_url) {
            (MailMode::Smtp, None) => {
                return Err(invalid("LATCHKEY_MAIL", "`smtp` needs LATCHKEY_SMTP_URL (or LATCHKEY_SMTP_URL_FILE)"));
            }
            (MailMode::Log | MailMode::Off, Some(_)) => {
                return Err(invalid("LATCHKEY_MAIL", "LATCHKEY_SMTP_URL is set: remove it, or set mail to `smtp`"));
            }
            _ => {}
        }
        const TEN_YEARS: Duration = Duration::from_secs(10 * 366 * 24 * 3600);
        for (origin, value) in
            [("LATCHKEY_SESSION_IDLE", settings.session_idle), ("LATCHKEY_SESSION_ABSOLUTE", settings.session_absolute)]
        {
            if value.is_zero() || value > TEN_YEARS {
                return Err(invalid(origin, "must be between 1 second and 10 years"));
            }
        }
        if settings.request_timeout.is_zero() || settings.request_timeout > Duration::from_secs(3600) {
            return Err(invalid("LATCHKEY_REQUEST_TIMEOUT", "must be between 1 second and 1 hour"));
        }
        for (origin, value) in [
            ("LATCHKEY_HEADER_READ_TIMEOUT", settings.header_read_timeout),
            ("LATCHKEY_IDLE_TIMEOUT", settings.idle_timeout),
            ("LATCHKEY_SHUTDOWN_GRACE", settings.shutdown_grace),
        ] {
            if value.is_zero() || value > Duration::from_secs(3600) {
                return Err(invalid(origin, "must be between 1 second and 1 hour"));
            }
        }
        if settings.purge_interval < Duration::from_secs(1) || settings.purge_interval > Duration::from_secs(24 * 3600)
        {
            return Err(invalid("LATCHKEY_PURGE_INTERVAL", "must be between 1 second and 24 hours"));
        }
        if settings.max_connections == 0 {
            return Err(invalid("LATCHKEY_MAX_CONNECTIONS", "must be at least 1"));
        }
        if settings.database_max_connections == 0 {
            return Err(invalid("LATCHKEY_DATABASE_MAX_CONNECTIONS", "must be at least 1"));
        }
        if settings.database_statement_cache > 10_000 {
            return Err(invalid("LATCHKEY_DATABASE_STATEMENT_CACHE", "must be between 0 and 10000"));
        }
        if settings.password_workers.is_some_and(|n| !(1..=64).contains(&n)) {
            return Err(invalid("LATCHKEY_PASSWORD_WORKERS", "must be between 1 and 64 (each holds 19 MiB)"));
        }
        if settings.password_queue.is_some_and(|n| n > 10_000) {
            return Err(invalid("LATCHKEY_PASSWORD_QUEUE", "must be at most 10000"));
        }
        // Plain http is allowed for a widget served from this machine, for
        // development; on an https deployment it would be whatever program
        // listens on that port of each visitor's own computer.
        if settings.public_url.scheme() == "https" {
            let plain = settings.integrations.iter().find(|integration| {
                integration.widget.as_ref().is_some_and(|widget| {
                    widget.script.scheme() == "http"
                        || widget.sources.iter().any(|source| source.starts_with("http:") || source.starts_with("ws:"))
                })
            });
            if let Some(integration) = plain {
                let message = format!(
                    "`{}`: the public URL is https, so `widget_script` and `widget_sources` must be https (or wss)",
                    integration.name
                );
                return Err(invalid("[[integrations]]", &message));
            }
        }
        if settings.master_key.is_some() && settings.master_key_file.is_some() {
            return Err(ConfigError::Invalid {
                origin: "LATCHKEY_MASTER_KEY".into(),
                message: "set either `master_key` or `master_key_file`, not both".into(),
            });
        }
        for (origin, value) in [
            ("LATCHKEY_IP_RATE_PER_MINUTE", settings.ip_rate_per_minute),
            ("LATCHKEY_PRODUCT_RATE_PER_MINUTE", settings.product_rate_per_minute),
        ] {
            if value == 0 {
                return Err(invalid(origin, "must be at least 1"));
            }
        }
        if settings.session_idle > settings.session_absolute {
            return Err(ConfigError::Invalid {
                origin: "LATCHKEY_SESSION_IDLE".into(),
                message: "must not be longer than session_absolute".into(),
            });
        }
        Ok(settings)
    }

    /// Defaults only; what a test or a fresh install starts from.
    pub fn defaults() -> Result<Self, ConfigError> {
        Self::load(Sources { file: None, env: HashMap::new() })
    }
}

/// The origin users see when none is set: this machine's name for the
/// listening port, so a local trial works (WebAuthn wants a name, not an IP).
fn default_public_url(listen: SocketAddr) -> Url {
    Url::parse(&format!("http://localhost:{}", listen.port())).unwrap_or_else(|_| unreachable_url())
}

#[allow(clippy::panic)] // a literal URL that does not parse is a programming error caught by the tests
fn unreachable_url() -> Url {
    panic!("the built-in default public URL must parse")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn defaults_serve_sqlite_on_localhost() {
        let s = Settings::defaults().unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
        assert!(s.database_url.is_sqlite());
        assert_eq!(s.public_url.as_str(), "http://localhost:8080/");
    }

    #[test]
    fn environment_overrides_file_and_errors_name_the_setting() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("latchkey.toml");
        std::fs::write(&file, "listen = \"0.0.0.0:9000\"\nip_rate_per_minute = 5\n").unwrap();
        let s =
            Settings::load(Sources { file: Some(&file), env: env(&[("LATCHKEY_IP_RATE_PER_MINUTE", "7")]) }).unwrap();
        assert_eq!(s.listen.port(), 9000);
        assert_eq!(s.ip_rate_per_minute, 7);

        let err = Settings::load(Sources { file: None, env: env(&[("LATCHKEY_LISTEN", "nope")]) }).unwrap_err();
        assert!(err.to_string().starts_with("LATCHKEY_LISTEN:"), "{err}");
        let err = Settings::load(Sources { file: None, env: env(&[("LATCHKEY_LISTN", "x")]) }).unwrap_err();
        assert!(err.to_string().contains("LATCHKEY_LISTN"), "{err}");
        std::fs::write(&file, "lisen = 1\n").unwrap();
        let err = Settings::load(Sources { file: Some(&file), env: HashMap::new() }).unwrap_err();
        assert!(err.to_string().contains("unknown setting `lisen`"), "{err}");
    }

    #[test]
    fn plain_http_only_on_this_machine_and_cors_takes_bare_origins() {
        let load = |pairs: &[(&str, &str)]| Settings::load(Sources { file: None, env: env(pairs) });
        for local in ["http://localhost:8080", "http://127.0.0.1:9000", "http://[::1]:8080", "http://app.localhost"] {
            assert!(load(&[("LATCHKEY_PUBLIC_URL", local)]).is_ok(), "{local}");
        }
        let err = load(&[("LATCHKEY_PUBLIC_URL", "http://login.example.com")]).unwrap_err();
        assert!(err.to_string().contains("https"), "{err}");
        assert!(load(&[("LATCHKEY_PUBLIC_URL", "https://login.example.com")]).is_ok());

        let s = load(&[("LATCHKEY_CORS_ORIGINS", "https://www.example.com, http://localhost:3000")]).unwrap();
        assert_eq!(s.cors_origins, ["https://www.example.com", "http://localhost:3000"]);
        for wrong in ["https://www.example.com/app", "*", "https://*.example.com", "ftp://example.com"] {
            let err = load(&[("LATCHKEY_CORS_ORIGINS", wrong)]).unwrap_err();
            assert!(err.to_string().starts_with("LATCHKEY_CORS_ORIGINS"), "{wrong}: {err}");
        }
    }

    #[test]
    fn the_password_pool_is_sized_by_the_machine_unless_told() {
        let load = |pairs: &[(&str, &str)]| Settings::load(Sources { file: None, env: env(pairs) });
        let s = load(&[]).unwrap();
        assert_eq!((s.password_workers, s.password_queue), (None, None));
        let s = load(&[("LATCHKEY_PASSWORD_WORKERS", "1"), ("LATCHKEY_PASSWORD_QUEUE", "0")]).unwrap();
        assert_eq!((s.password_workers, s.password_queue), (Some(1), Some(0)));
        for (var, wrong) in [
            ("LATCHKEY_PASSWORD_WORKERS", "0"),
            ("LATCHKEY_PASSWORD_WORKERS", "65"),
            ("LATCHKEY_PASSWORD_QUEUE", "10001"),
        ] {
            let err = load(&[(var, wrong)]).unwrap_err();
            assert!(err.to_string().starts_with(var), "{var}={wrong}: {err}");
        }
    }

    #[test]
    fn integrations_are_tables_in_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("latchkey.toml");
        std::fs::write(
            &file,
            "signing_algorithm = \"EdDSA\"\n\
             [[integrations]]\nname = \"widget\"\nkind = \"jwt\"\nrequire = \"mfa\"\n\
             [[integrations]]\nname = \"zendesk\"\nkind = \"zendesk_messaging\"\nkey_id = \"app_1\"\nsecret_file = \"zd.secret\"\n",
        )
        .unwrap();
        let s = Settings::load(Sources { file: Some(&file), env: HashMap::new() }).unwrap();
        assert_eq!(s.signing_algorithm, SigningAlgorithm::EdDsa);
        let names: Vec<_> = s.integrations.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["widget", "zendesk"]);
        assert_eq!(s.integrations[1].secret_file.as_deref(), Some(dir.path().join("zd.secret").as_path()));

        std::fs::write(
            &file,
            "[[integrations]]\nname = \"a\"\nkind = \"jwt\"\n[[integrations]]\nname = \"a\"\nkind = \"hmac\"\n",
        )
        .unwrap();
        let err = Settings::load(Sources { file: Some(&file), env: HashMap::new() }).unwrap_err();
        assert!(err.to_string().contains("two integrations are named `a`"), "{err}");
        std::fs::write(&file, "integrations = \"widget\"\n").unwrap();
        let err = Settings::load(Sources { file: Some(&file), env: HashMap::new() }).unwrap_err();
        assert!(err.to_string().contains("[[integrations]]"), "{err}");
        let err = Settings::load(Sources { file: None, env: env(&[("LATCHKEY_INTEGRATIONS", "x")]) }).unwrap_err();
        assert!(err.to_string().contains("[[integrations]]"), "{err}");

        // A widget from this machine over plain http: for development only.
        for local in [
            "widget_script = \"http://localhost:9000/w.js\"\n",
            "widget_script = \"https://w.example.com/w.js\"\nwidget_sources = [\"ws://localhost:9000\"]\n",
        ] {
            std::fs::write(&file, format!("[[integrations]]\nname = \"chat\"\nkind = \"jwt\"\n{local}")).unwrap();
            assert!(Settings::load(Sources { file: Some(&file), env: HashMap::new() }).is_ok(), "{local}");
            let https = env(&[("LATCHKEY_PUBLIC_URL", "https://login.example.com")]);
            let err = Settings::load(Sources { file: Some(&file), env: https }).unwrap_err();
            assert!(err.to_string().contains("`chat`: the public URL is https"), "{local}: {err}");
        }
    }

    #[test]
    fn clients_are_tables_in_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("latchkey.toml");
        let desktop = "[[clients]]\nid = \"desktop\"\nname = \"Studio\"\nkind = \"public\"\n\
                       redirect_uris = [\"http://127.0.0.1/callback\"]\ngrants = [\"authorization_code\"]\nproduct = \"studio\"\n";
        let server = "[[clients]]\nid = \"portal\"\nname = \"Portal\"\nkind = \"confidential\"\n\
                      redirect_uris = [\"https://portal.example.com/cb\"]\ngrants = [\"authorization_code\"]\nproduct = \"studio\"\n";
        std::fs::write(&file, format!("{desktop}{server}secret_file = \"portal.secret\"\n")).unwrap();
        let s = Settings::load(Sources { file: Some(&file), env: HashMap::new() }).unwrap();
        let ids: Vec<_> = s.clients.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["desktop", "portal"]);
        assert_eq!(s.clients[1].secret_file.as_deref(), Some(dir.path().join("portal.secret").as_path()));

        let refused = |text: String, expected: &str| {
            std::fs::write(&file, text).unwrap();
            let err = Settings::load(Sources { file: Some(&file), env: HashMap::new() }).unwrap_err();
            assert!(err.to_string().contains(expected), "{expected:?} not in {err}");
        };
        refused(format!("{desktop}{desktop}"), "two clients have the id `desktop`");
        // A confidential client without a file gets its secret from the CLI.
        std::fs::write(&file, server).unwrap();
        let s = Settings::load(Sources { file: Some(&file), env: HashMap::new() }).unwrap();
        assert_eq!(s.clients[0].secret_file, None);
        refused("clients = \"desktop\"\n".to_owned(), "[[clients]]");
        let err = Settings::load(Sources { file: None, env: env(&[("LATCHKEY_CLIENTS", "x")]) }).unwrap_err();
        assert!(err.to_string().contains("[[clients]]"), "{err}");
    }

    #[test]
    fn secrets_come_from_files_and_never_show_in_debug() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("db");
        std::fs::write(&secret, "postgres://app:hunter2hunter2@db/latchkey?password=hunter2hunter2\n").unwrap();
        let s = Settings::load(Sources {
            file: None,
            env: env(&[("LATCHKEY_DATABASE_URL_FILE", secret.to_str().unwrap())]),
        })
        .unwrap();
        assert!(s.database_url.is_postgres());
        assert_eq!(s.database_url.to_string(), "postgres://db/latchkey");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(!s.database_url.to_string().contains("hunter2"));
    }
}
