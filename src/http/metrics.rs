//! Prometheus metrics, one registry per running app (so tests that start
//! several apps in one process do not share counters).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    /// The matched route template, never the raw path: bounded cardinality.
    pub route: String,
    pub status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FactorLabels {
    pub factor: &'static str,
}

/// Products come from published EULAs, so the label set stays small.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ProductLabels {
    pub product: String,
}

/// Audiences come from the settings file, so the label set stays small.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AudienceLabels {
    pub audience: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ValidationLabels {
    pub code: &'static str,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 1 ms … ~4 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 13))
}

#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    pub http_requests: Family<RequestLabels, Counter>,
    pub http_latency: HistogramFamily<RouteLabels>,
    pub sign_ins: Family<OutcomeLabels, Counter>,
    pub sign_ups: Family<OutcomeLabels, Counter>,
    /// Part of the activation funnel: users who set up a factor.
    pub factors_enrolled: Family<FactorLabels, Counter>,
    /// Part of the activation funnel: EULA acceptances by product.
    pub eula_accepted: Family<ProductLabels, Counter>,
    /// Tokens handed out, by audience.
    pub tokens_minted: Family<AudienceLabels, Counter>,
    /// Activation funnel: codes redeemed onto accounts, by product.
    pub codes_redeemed: Family<ProductLabels, Counter>,
    /// Activation funnel: licenses going into use (their only seat taken), by product.
    pub first_activations: Family<ProductLabels, Counter>,
    /// License validations by result code.
    pub validations: Family<ValidationLabels, Counter>,
}

impl Metrics {
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
        }
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
