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
        Self { registry, http_requests, http_latency, sign_ins, sign_ups, factors_enrolled, eula_accepted }
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
