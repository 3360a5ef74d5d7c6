//! Prometheus metrics, one registry per running app (so tests that start
//! several apps in one process do not share counters). The HTTP envelope
//! counts requests; services count what they do (the activation funnel),
//! so every adapter's traffic is counted the same way.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels of one HTTP request.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The method, or `OTHER`.
    pub method: String,
    /// The matched route template, never the raw path: bounded cardinality.
    pub route: String,
    /// The status sent.
    pub status: u16,
}

/// Labels of a route's latency.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// The method, or `OTHER`.
    pub method: String,
    /// The matched route template.
    pub route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FactorLabels {
    factor: &'static str,
}

/// Products come from policies and published EULAs, so the label set stays small.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProductLabels {
    product: String,
}

/// Audiences come from the settings file, so the label set stays small.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AudienceLabels {
    audience: String,
}

/// Table names are the store's own constants, so the label set stays small.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TableLabels {
    table: &'static str,
}

/// Steps are the activation page's own constants, so the label set stays small.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StepLabels {
    product: String,
    step: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ValidationLabels {
    code: &'static str,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// 10 s … ~45 h: from a code typed in one go to one finished the next day.
fn journey_histogram() -> Histogram {
    Histogram::new(exponential_buckets(10.0, 2.0, 15))
}

fn latency_histogram() -> Histogram {
    // 1 ms … ~4 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 13))
}

/// How a sign-in attempt ended, as the metric counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInOutcome {
    /// A session began (or a second factor is owed after a right password).
    Success,
    /// Wrong password, code or passkey.
    InvalidCredentials,
    /// Refused before checking: the account is locked.
    Locked,
    /// Refused before checking: the password hashing pool was full
    /// (503 + `Retry-After`); the caller is asked to come back.
    Shed,
    /// Anything else (bad input, an outage).
    Error,
}

/// Every metric the app exports.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// HTTP requests by route and status.
    pub http_requests: Family<RequestLabels, Counter>,
    /// HTTP latency by route.
    pub http_latency: HistogramFamily<RouteLabels>,
    sign_ins: Family<OutcomeLabels, Counter>,
    sign_ups: Family<OutcomeLabels, Counter>,
    factors_enrolled: Family<FactorLabels, Counter>,
    eula_accepted: Family<ProductLabels, Counter>,
    tokens_minted: Family<AudienceLabels, Counter>,
    codes_redeemed: Family<ProductLabels, Counter>,
    first_activations: Family<ProductLabels, Counter>,
    validations: Family<ValidationLabels, Counter>,
    activation_steps: Family<StepLabels, Counter>,
    activation_time_to_value: HistogramFamily<ProductLabels>,
    rows_purged: Family<TableLabels, Counter>,
    reset_requests_dropped: Counter,
    password_work_shed: Counter,
}

impl Metrics {
    /// A fresh registry with every metric at zero.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("latchkey");
        let http_requests = Family::<RequestLabels, Counter>::default();
        let http_latency: HistogramFamily<RouteLabels> = Family::new_with_constructor(latency_histogram);
        let sign_ins = Family::<OutcomeLabels, Counter>::default();
        let sign_ups = Family::<OutcomeLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests by route and status", http_requests.clone());
        registry.register("http_request_duration_seconds", "HTTP request latency", http_latency.clone());
        registry.register("sign_ins", "Sign-in attempts (password and second factor) by outcome", sign_ins.clone());
        registry.register("sign_ups", "Sign-up attempts by outcome", sign_ups.clone());
        let factors_enrolled = Family::<FactorLabels, Counter>::default();
        registry.register("factors_enrolled", "Second factors set up, by kind", factors_enrolled.clone());
        let eula_accepted = Family::<ProductLabels, Counter>::default();
        registry.register("eula_accepted", "EULA acceptances by product", eula_accepted.clone());
        let tokens_minted = Family::<AudienceLabels, Counter>::default();
        registry.register("tokens_minted", "Tokens and identity hashes handed out, by audience", tokens_minted.clone());
        let codes_redeemed = Family::<ProductLabels, Counter>::default();
        registry.register(
            "codes_redeemed",
            "Activation codes redeemed onto accounts, by product",
            codes_redeemed.clone(),
        );
        let first_activations = Family::<ProductLabels, Counter>::default();
        registry.register(
            "first_activations",
            "Activations that took a license's only occupied seat, by product",
            first_activations.clone(),
        );
        let validations = Family::<ValidationLabels, Counter>::default();
        registry.register("license_validations", "License validations by result code", validations.clone());
        let activation_steps = Family::<StepLabels, Counter>::default();
        registry.register(
            "activation_step",
            "Activation checklist steps shown as the next one, by product and step",
            activation_steps.clone(),
        );
        let activation_time_to_value: HistogramFamily<ProductLabels> = Family::new_with_constructor(journey_histogram);
        registry.register(
            "activation_time_to_value_seconds",
            "Time from first opening the activation page to a license ready to use, by product",
            activation_time_to_value.clone(),
        );
        let rows_purged = Family::<TableLabels, Counter>::default();
        registry.register("rows_purged", "Rows removed by the periodic purge, by table", rows_purged.clone());
        let reset_requests_dropped = Counter::default();
        registry.register(
            "reset_requests_dropped",
            "Password reset requests refused because too many were in progress",
            reset_requests_dropped.clone(),
        );
        let password_work_shed = Counter::default();
        registry.register(
            "password_work_shed",
            "Password checks and hashes refused (503) because the hashing pool and its queue were full",
            password_work_shed.clone(),
        );
        Self {
            registry,
            http_requests,
            http_latency,
            sign_ins,
            sign_ups,
            factors_enrolled,
            eula_accepted,
            tokens_minted,
            codes_redeemed,
            first_activations,
            validations,
            activation_steps,
            activation_time_to_value,
            rows_purged,
            reset_requests_dropped,
            password_work_shed,
        }
    }

    /// Rows the purge removed from `table`.
    pub fn rows_purged(&self, table: &'static str, rows: u64) {
        self.rows_purged.get_or_create(&TableLabels { table }).inc_by(rows);
    }

    /// A password reset request refused for want of capacity.
    pub fn reset_request_dropped(&self) {
        self.reset_requests_dropped.inc();
    }

    /// A password check or hash refused for want of hashing capacity.
    pub fn password_work_shed(&self) {
        self.password_work_shed.inc();
    }

    /// A sign-in attempt (password, second factor or passkey).
    pub fn sign_in(&self, outcome: SignInOutcome) {
        let outcome = match outcome {
            SignInOutcome::Success => "success",
            SignInOutcome::InvalidCredentials => "invalid_credentials",
            SignInOutcome::Locked => "locked",
            SignInOutcome::Shed => "shed",
            SignInOutcome::Error => "error",
        };
        self.sign_ins.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    /// A sign-up attempt.
    pub fn sign_up(&self, created: bool) {
        let outcome = if created { "created" } else { "refused" };
        self.sign_ups.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    /// Activation funnel: a factor set up (`totp` or `passkey`).
    pub fn factor_enrolled(&self, factor: &'static str) {
        self.factors_enrolled.get_or_create(&FactorLabels { factor }).inc();
    }

    /// Activation funnel: a EULA accepted.
    pub fn eula_accepted(&self, product: &str) {
        self.eula_accepted.get_or_create(&ProductLabels { product: product.to_owned() }).inc();
    }

    /// A token or identity hash handed out.
    pub fn token_minted(&self, audience: &str) {
        self.tokens_minted.get_or_create(&AudienceLabels { audience: audience.to_owned() }).inc();
    }

    /// Activation funnel: a code redeemed onto an account.
    pub fn code_redeemed(&self, product: &str) {
        self.codes_redeemed.get_or_create(&ProductLabels { product: product.to_owned() }).inc();
    }

    /// Activation funnel: a license went into use (its only held seat taken).
    pub fn first_activation(&self, product: &str) {
        self.first_activations.get_or_create(&ProductLabels { product: product.to_owned() }).inc();
    }

    /// Activation funnel: a checklist step shown as the next one.
    pub fn activation_step(&self, product: &str, step: &'static str) {
        self.activation_steps.get_or_create(&StepLabels { product: product.to_owned(), step }).inc();
    }

    /// Activation funnel: seconds from opening the activation page to a license ready to use.
    pub fn activation_time_to_value(&self, product: &str, seconds: f64) {
        self.activation_time_to_value.get_or_create(&ProductLabels { product: product.to_owned() }).observe(seconds);
    }

    /// A license validation, by its result code.
    pub fn validation(&self, code: &'static str) {
        self.validations.get_or_create(&ValidationLabels { code }).inc();
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
