//! EULAs: publishing versions, reading the current one, recording decisions,
//! and the evidence exports and chain check for admins.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::error::{ApiError, ApiResult, Problem};
use super::extract::{AdminKey, Client, CurrentUser, Json, Query};
use crate::domain::eula::AcceptanceFilter;
use crate::domain::eula::{Acceptance, Channel, EulaDocument};
use crate::domain::ids::UserId;
use crate::domain::reason::{Invalid, Rule};
use crate::eula::{DecisionRequest, Publication};

/// A new EULA version to publish.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    /// The product it governs; at most 100 characters, no `/`.
    pub product: String,
    /// The version name; at most 100 characters, no `/`. Each version is published once per language.
    pub version: String,
    /// Shown above the text; at most 200 characters, no `/`.
    pub title: String,
    /// Markdown; stored and hashed exactly as sent.
    pub body: String,
    /// Language tag; `en` when absent.
    pub locale: Option<String>,
    /// A material change: earlier acceptances stop sufficing.
    #[serde(default)]
    pub material: bool,
}

/// A published EULA version.
#[derive(Debug, Serialize, ToSchema)]
pub struct EulaView {
    /// The product it governs.
    pub product: String,
    /// The version name.
    pub version: String,
    /// Its language tag.
    pub locale: String,
    /// Shown above the text.
    pub title: String,
    /// The exact text, Markdown; show it as it is, since its hash is what the user accepts.
    pub body: String,
    /// SHA-256 of `body`, hex; send it back when deciding.
    pub sha256: String,
    /// A material change: acceptances of earlier versions no longer suffice.
    pub material: bool,
    /// When it was published.
    #[serde(with = "time::serde::rfc3339")]
    pub published_at: OffsetDateTime,
}

impl From<EulaDocument> for EulaView {
    fn from(d: EulaDocument) -> Self {
        Self {
            product: d.product,
            version: d.version,
            locale: d.locale,
            title: d.title,
            body: d.body,
            sha256: d.sha256,
            material: d.material,
            published_at: d.published_at,
        }
    }
}

/// Which language of the EULA to return.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LocaleQuery {
    /// Preferred language tag; the newest version in any language otherwise.
    pub locale: Option<String>,
}

/// A user's decision on a EULA version, with the hash of the text they were shown.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecideRequest {
    /// The product whose EULA it is.
    pub product: String,
    /// The version shown to the user.
    pub version: String,
    /// SHA-256 (hex) of the exact text the user was shown.
    pub sha256: String,
    /// `accepted`, `declined` or `withdrawn`.
    pub decision: String,
    /// Language tag of the text shown; when absent, the language the version was first published in.
    pub locale: Option<String>,
}

/// One ledger record: everything its hash covers, and the hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptanceView {
    /// Its place in the ledger, from 1 with no gaps.
    pub seq: i64,
    /// The record's id.
    pub id: String,
    /// The user who decided.
    pub user_id: String,
    /// The product whose EULA it is.
    pub product: String,
    /// The language of the text shown.
    pub locale: String,
    /// The version decided on.
    pub version: String,
    /// SHA-256 (hex) of the text shown.
    pub sha256: String,
    /// `accepted`, `declined` or `withdrawn`.
    pub decision: String,
    /// Server time of the decision.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Milliseconds since the epoch, exactly as hashed.
    pub at_ms: i64,
    /// The address the decision came from.
    pub ip: Option<String>,
    /// The browser or app that sent it.
    pub user_agent: Option<String>,
    /// `web` (the end-user pages) or `api` (the JSON API).
    pub channel: String,
    /// How the session had signed in (RFC 8176 method references).
    pub amr: Vec<String>,
    /// The previous record's `hash`; 64 zeros for the first record.
    pub prev_hash: String,
    /// SHA-256 (hex) over this record's fields and `prev_hash`; the chain check recomputes it.
    pub hash: String,
}

impl From<Acceptance> for AcceptanceView {
    fn from(a: Acceptance) -> Self {
        Self {
            seq: a.seq,
            id: a.id,
            user_id: a.user_id.to_string(),
            product: a.product,
            locale: a.locale,
            version: a.version,
            sha256: a.sha256,
            decision: a.decision,
            at: a.at,
            at_ms: a.at_ms,
            ip: a.ip,
            user_agent: a.user_agent,
            channel: a.channel,
            amr: a.amr,
            prev_hash: a.prev_hash,
            hash: a.hash,
        }
    }
}

/// Acceptance ledger records.
#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptanceList {
    /// The records in ledger order, oldest first.
    pub acceptances: Vec<AcceptanceView>,
}

/// Which ledger records to export, and in what format.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// `json` (default) or `csv`.
    pub format: Option<String>,
    /// Only records for this product.
    pub product: Option<String>,
    /// Only records for this version.
    pub version: Option<String>,
    /// Only this user's records.
    pub user_id: Option<String>,
    /// RFC 3339; records at or after.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>)]
    pub from: Option<OffsetDateTime>,
    /// RFC 3339; records before.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>)]
    pub to: Option<OffsetDateTime>,
}

/// The first ledger record that does not verify.
#[derive(Debug, Serialize, ToSchema)]
pub struct BrokenRecord {
    /// Its place in the ledger.
    pub seq: i64,
    /// The record's id.
    pub id: String,
    /// Why it fails, in a sentence: it was edited, or a record before it was removed or changed.
    pub reason: String,
}

/// The outcome of checking the acceptance ledger's hash chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChainReport {
    /// True when every record verifies.
    pub ok: bool,
    /// Records verified before the first broken one (all of them when `ok`).
    pub records: u64,
    /// Hash of the last verified record; keep it elsewhere to anchor the ledger.
    pub head: String,
    /// The first record that does not verify; absent when `ok`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_broken: Option<BrokenRecord>,
}

/// Publish a EULA version; it can never change afterwards.
#[utoipa::path(post, path = "/v1/admin/eulas", tag = "eula", security(("api_key" = [])), request_body = PublishRequest,
    responses((status = 201, body = EulaView), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn publish(
    State(state): State<AppState>,
    AdminKey(_): AdminKey,
    Json(body): Json<PublishRequest>,
) -> ApiResult<impl IntoResponse> {
    let document = state
        .services
        .eulas
        .publish(Publication {
            product: body.product,
            version: body.version,
            locale: body.locale,
            title: body.title,
            body: body.body,
            material: body.material,
        })
        .await?;
    Ok((StatusCode::CREATED, axum::Json(EulaView::from(document))))
}

/// The newest version of a product's EULA, its text and hash.
#[utoipa::path(get, path = "/v1/eulas/{product}/current", tag = "eula", params(("product" = String, Path), LocaleQuery),
    responses((status = 200, body = EulaView), (status = 404, body = Problem)))]
pub async fn current(
    State(state): State<AppState>,
    Path(product): Path<String>,
    Query(query): Query<LocaleQuery>,
) -> ApiResult<axum::Json<EulaView>> {
    Ok(axum::Json(state.services.eulas.current(&product, query.locale.as_deref()).await?.into()))
}

/// Accept, decline or withdraw a version; recorded as evidence.
#[utoipa::path(post, path = "/v1/me/eula-acceptances", tag = "eula", security(("session" = [])), request_body = DecideRequest,
    responses((status = 201, body = AcceptanceView), (status = 401, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn decide(
    State(state): State<AppState>,
    client: Client,
    CurrentUser(caller): CurrentUser,
    Json(body): Json<DecideRequest>,
) -> ApiResult<impl IntoResponse> {
    let request = DecisionRequest {
        product: body.product,
        version: body.version,
        locale: body.locale,
        sha256: body.sha256,
        decision: body.decision,
    };
    let record = state.services.eulas.decide(&caller, request, &client.0, Channel::Api).await?;
    Ok((StatusCode::CREATED, axum::Json(AcceptanceView::from(record))))
}

/// The user's own decisions, oldest first.
#[utoipa::path(get, path = "/v1/me/eula-acceptances", tag = "eula", security(("session" = [])),
    responses((status = 200, body = AcceptanceList), (status = 401, body = Problem)))]
pub async fn history(
    State(state): State<AppState>,
    CurrentUser(caller): CurrentUser,
) -> ApiResult<axum::Json<AcceptanceList>> {
    let records = state.services.eulas.history(&caller).await?;
    Ok(axum::Json(AcceptanceList { acceptances: records.into_iter().map(AcceptanceView::from).collect() }))
}

/// Export the evidence as JSON or CSV, filtered.
#[utoipa::path(get, path = "/v1/admin/eula-acceptances", tag = "eula", security(("api_key" = [])), params(ExportQuery),
    responses((status = 200, description = "The records, as JSON or (with `format=csv`) CSV",
        content((AcceptanceList = "application/json"), (String = "text/csv"))), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn export(
    State(state): State<AppState>,
    AdminKey(_): AdminKey,
    Query(query): Query<ExportQuery>,
) -> ApiResult<Response> {
    let csv = match query.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(Invalid::new("format", Rule::OneOf(&["json", "csv"])).into()),
    };
    let filter = AcceptanceFilter {
        product: query.product,
        version: query.version,
        user_id: query.user_id.map(|id| UserId::parse(&id).ok_or(Invalid::new("user_id", Rule::Id))).transpose()?,
        from: query.from,
        until: query.to,
    };
    let records: Vec<AcceptanceView> =
        state.services.eulas.records(&filter).await?.into_iter().map(AcceptanceView::from).collect();
    if !csv {
        return Ok(axum::Json(AcceptanceList { acceptances: records }).into_response());
    }
    let mut response = to_csv(&records)?.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    headers
        .insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"eula-acceptances.csv\""));
    Ok(response)
}

/// Walk the hash chain and name the first record that does not match.
#[utoipa::path(get, path = "/v1/admin/eula-acceptances/verify", operation_id = "verify_acceptance_chain", tag = "eula", security(("api_key" = [])),
    responses((status = 200, body = ChainReport), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn verify(State(state): State<AppState>, AdminKey(_): AdminKey) -> ApiResult<axum::Json<ChainReport>> {
    let verification = state.services.eulas.verify().await?;
    Ok(axum::Json(ChainReport {
        ok: verification.first_broken.is_none(),
        records: verification.records,
        head: verification.head,
        first_broken: verification.first_broken.map(|broken| BrokenRecord {
            seq: broken.seq(),
            id: broken.id().to_owned(),
            reason: broken.to_string(),
        }),
    }))
}

/// A spreadsheet would run a cell that starts like a formula; user agents
/// and other client-sent text must open as text.
fn spreadsheet_safe(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{cell}") } else { cell.to_owned() }
}

fn to_csv(records: &[AcceptanceView]) -> ApiResult<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let internal = |e: csv::Error| ApiError::internal(format!("csv: {e}"));
    writer
        .write_record([
            "seq",
            "id",
            "user_id",
            "product",
            "locale",
            "version",
            "sha256",
            "decision",
            "at",
            "at_ms",
            "ip",
            "user_agent",
            "channel",
            "amr",
            "prev_hash",
            "hash",
        ])
        .map_err(internal)?;
    for r in records {
        let at = r.at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        let cells = [
            r.seq.to_string(),
            r.id.clone(),
            r.user_id.clone(),
            r.product.clone(),
            r.locale.clone(),
            r.version.clone(),
            r.sha256.clone(),
            r.decision.clone(),
            at,
            r.at_ms.to_string(),
            r.ip.clone().unwrap_or_default(),
            r.user_agent.clone().unwrap_or_default(),
            r.channel.clone(),
            r.amr.join(" "),
            r.prev_hash.clone(),
            r.hash.clone(),
        ];
        writer.write_record(cells.iter().map(|c| spreadsheet_safe(c))).map_err(internal)?;
    }
    let bytes = writer.into_inner().map_err(|e| ApiError::internal(format!("csv: {e}")))?;
    String::from_utf8(bytes).map_err(|e| ApiError::internal(format!("csv: {e}")))
}

#[cfg(test)]
mod tests {
    use super::spreadsheet_safe;

    #[test]
    fn formula_cells_open_as_text() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"http://x\")"), "'=HYPERLINK(\"http://x\")");
        assert_eq!(spreadsheet_safe("+1"), "'+1");
        assert_eq!(spreadsheet_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(spreadsheet_safe("Mozilla/5.0"), "Mozilla/5.0");
    }
}
