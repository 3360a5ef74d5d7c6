//! A desktop app that signs its user in through Latchkey and activates the
//! machine in the same step: the reference client vendors can copy.
//!
//! ```console
//! LATCHKEY_URL=http://localhost:8080 LATCHKEY_CLIENT_ID=studio-desktop LATCHKEY_PRODUCT=studio \
//!   cargo run --example desktop_sign_in
//! ```
//!
//! The client needs a `[[clients]]` entry with `kind = "public"`, the
//! redirect URI `http://127.0.0.1/callback` (any port matches) and the
//! `authorization_code` and `refresh_token` grants. What it does:
//!
//! 1. finds the endpoints (OpenID Connect discovery);
//! 2. listens on 127.0.0.1, on a port the system picks (RFC 8252);
//! 3. opens the browser at the authorization URL with PKCE (S256), `state`,
//!    `nonce`, and a `license_activation` for this machine (RFC 9396);
//! 4. takes the code from the redirect and exchanges it, and checks the ID token;
//! 5. checks the offline certificate: our key, this product's audience,
//!    this machine's fingerprint, unexpired; keep it to start offline;
//! 6. refreshes, keeping the new refresh token (each works once: a refresh
//!    token used twice ends the sign-in, as a stolen one would).

use std::error::Error;

use jsonwebtoken::jwk::{JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use openidconnect::core::{CoreClient, CoreIdToken, CoreProviderMetadata, CoreResponseType};
use openidconnect::{
    AuthenticationFlow, ClientId, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge, RedirectUrl, Scope, reqwest,
};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Anything that went wrong, said in words.
pub type Failure = Box<dyn Error + Send + Sync>;

/// Who the app is and which machine it runs on.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Latchkey's public URL, the issuer.
    pub issuer: String,
    /// The app's `client_id`.
    pub client_id: String,
    /// The product the app is: certificates name it as their audience.
    pub product: String,
    /// A stable value that identifies this machine (kept by the app).
    pub fingerprint: String,
    /// What the user sees the machine called.
    pub device_name: String,
}

/// What a finished sign-in leaves the app with.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The user id (`sub`).
    pub subject: String,
    /// The user's address, with scope `email`.
    pub email: Option<String>,
    /// For calls to the vendor's own back end; ten minutes long.
    pub access_token: String,
    /// For the next refresh, once.
    pub refresh_token: String,
    /// This machine's seat.
    pub activation_id: String,
    /// The offline certificate's checked claims.
    pub certificate: Certificate,
}

/// An offline license certificate, checked.
#[derive(Debug, Clone, Deserialize)]
pub struct Certificate {
    /// The license.
    pub lic: String,
    /// Features it grants.
    pub ent: Vec<String>,
    /// When the app must be online again, Unix seconds.
    pub exp: i64,
    /// SHA-256 of the fingerprint it was issued for.
    pub fpr: String,
}

/// The token endpoint's answer, with the seat (RFC 9396).
#[derive(Debug, Deserialize)]
struct TokenAnswer {
    access_token: String,
    refresh_token: Option<String>,
    id_token: Option<String>,
    #[serde(default)]
    authorization_details: Vec<SeatDetail>,
}

#[derive(Debug, Deserialize)]
struct SeatDetail {
    activation_id: String,
    certificate: String,
}

/// An error answer of the token endpoint (RFC 6749 §5.2).
#[derive(Debug, Deserialize)]
struct TokenError {
    error: String,
    error_description: Option<String>,
}

fn http() -> Result<reqwest::Client, Failure> {
    // Following redirects would let a server send the client anywhere.
    Ok(reqwest::ClientBuilder::new().redirect(reqwest::redirect::Policy::none()).build()?)
}

async fn token_endpoint(settings: &Settings, form: &[(&str, &str)]) -> Result<TokenAnswer, Failure> {
    let response = http()?.post(format!("{}/oauth/token", settings.issuer)).form(form).send().await?;
    if response.status().is_success() {
        return Ok(response.json().await?);
    }
    let refused: TokenError = response.json().await?;
    Err(format!("{}: {}", refused.error, refused.error_description.unwrap_or_default()).into())
}

/// Signs the user in through the browser, activating this machine.
/// `open_browser` is handed the URL to show the user.
pub async fn sign_in(settings: &Settings, open_browser: impl FnOnce(String)) -> Result<SignedIn, Failure> {
    let http = http()?;
    let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(settings.issuer.clone())?, &http).await?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let redirect = format!("http://127.0.0.1:{}/callback", listener.local_addr()?.port());
    let client = CoreClient::from_provider_metadata(metadata, ClientId::new(settings.client_id.clone()), None)
        .set_redirect_uri(RedirectUrl::new(redirect.clone())?);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let seat = serde_json::json!([{
        "type": "license_activation",
        "fingerprint": settings.fingerprint,
        "name": settings.device_name,
        "platform": std::env::consts::OS,
    }]);
    let (url, state, nonce) = client
        .authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("license".into()))
        .add_extra_param("authorization_details", seat.to_string())
        .set_pkce_challenge(challenge)
        .url();
    open_browser(url.to_string());

    let answer = receive_redirect(&listener).await?;
    if answer.get("state") != Some(state.secret()) {
        return Err("the redirect's state is not ours: someone else started this sign-in".into());
    }
    if let Some(error) = answer.get("error") {
        return Err(format!("the sign-in did not finish: {error}").into());
    }
    let code = answer.get("code").ok_or("the redirect carries no code")?;
    let tokens = token_endpoint(
        settings,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &settings.client_id),
            ("code", code),
            ("redirect_uri", &redirect),
            ("code_verifier", verifier.secret()),
        ],
    )
    .await?;

    // ID tokens are RS256 unless the client is set up otherwise, which is
    // what openidconnect (like most relying parties) accepts by default.
    let id_token: CoreIdToken = tokens.id_token.as_deref().ok_or("no ID token")?.parse()?;
    let claims = id_token.claims(&client.id_token_verifier(), &nonce)?;
    let seat = tokens.authorization_details.first().ok_or("no seat was granted")?;
    Ok(SignedIn {
        subject: claims.subject().to_string(),
        email: claims.email().map(|email| email.to_string()),
        certificate: check_certificate(settings, &seat.certificate).await?,
        activation_id: seat.activation_id.clone(),
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token.ok_or("no refresh token")?,
    })
}

/// Fresh tokens and a fresh certificate; the refresh token presented is
/// spent, so the new one replaces it at once (in the app's keychain).
pub async fn refresh(settings: &Settings, signed_in: &mut SignedIn) -> Result<(), Failure> {
    let tokens = token_endpoint(
        settings,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", &settings.client_id),
            ("refresh_token", &signed_in.refresh_token),
        ],
    )
    .await?;
    signed_in.refresh_token = tokens.refresh_token.ok_or("no refresh token")?;
    signed_in.access_token = tokens.access_token;
    let seat = tokens.authorization_details.first().ok_or("the seat is gone")?;
    signed_in.certificate = check_certificate(settings, &seat.certificate).await?;
    Ok(())
}

/// The certificate, if it is ours, this product's, this machine's and unexpired.
pub async fn check_certificate(settings: &Settings, certificate: &str) -> Result<Certificate, Failure> {
    let jwks: JwkSet = http()?.get(format!("{}/.well-known/jwks.json", settings.issuer)).send().await?.json().await?;
    let header = jsonwebtoken::decode_header(certificate)?;
    if header.typ.as_deref() != Some("license+jwt") {
        return Err("not a license certificate".into());
    }
    let jwk =
        header.kid.as_deref().and_then(|kid| jwks.find(kid)).ok_or("signed by a key Latchkey does not publish")?;
    // The key's own algorithm, never whatever the header claims.
    let algorithm = match jwk.common.key_algorithm {
        Some(KeyAlgorithm::ES256) => Algorithm::ES256,
        Some(KeyAlgorithm::EdDSA) => Algorithm::EdDSA,
        _ => return Err("the key's algorithm is not one Latchkey signs with".into()),
    };
    let mut validation = Validation::new(algorithm);
    validation.set_audience(&[format!("urn:latchkey:product:{}", settings.product)]);
    validation.set_issuer(&[settings.issuer.trim_end_matches('/')]);
    let checked = jsonwebtoken::decode::<Certificate>(certificate, &DecodingKey::from_jwk(jwk)?, &validation)?.claims;
    if checked.fpr != hex::encode(Sha256::digest(settings.fingerprint.as_bytes())) {
        return Err("the certificate is for another machine".into());
    }
    Ok(checked)
}

/// Waits for the browser at the loopback listener and answers it with a
/// page; the redirect's query parameters.
async fn receive_redirect(listener: &TcpListener) -> Result<std::collections::HashMap<String, String>, Failure> {
    loop {
        let (mut stream, _) = listener.accept().await?;
        let mut buffer = vec![0u8; 16 * 1024];
        let read = stream.read(&mut buffer).await?;
        let request = String::from_utf8_lossy(buffer.get(..read).unwrap_or_default()).into_owned();
        let target = request.split_whitespace().nth(1).unwrap_or("/").to_owned();
        let url = url::Url::parse(&format!("http://127.0.0.1{target}"))?;
        // Browsers ask for a favicon too; only the callback counts.
        if url.path() != "/callback" {
            stream.write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await?;
            continue;
        }
        let page = "<!doctype html><meta charset=utf-8><title>Signed in</title><p>You are signed in. You can close this window.";
        let answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
            page.len()
        );
        stream.write_all(answer.as_bytes()).await?;
        return Ok(url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect());
    }
}

/// This machine's fingerprint: a hash of its machine id where the system
/// has one, so the raw id never leaves the machine.
fn machine_fingerprint() -> String {
    let id = std::fs::read_to_string("/etc/machine-id").unwrap_or_else(|_| "unknown machine".into());
    hex::encode(Sha256::digest(format!("studio:{}", id.trim()).as_bytes()))
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let env = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    let settings = Settings {
        issuer: env("LATCHKEY_URL", "http://localhost:8080"),
        client_id: env("LATCHKEY_CLIENT_ID", "studio-desktop"),
        product: env("LATCHKEY_PRODUCT", "studio"),
        fingerprint: std::env::var("LATCHKEY_FINGERPRINT").unwrap_or_else(|_| machine_fingerprint()),
        device_name: env("LATCHKEY_DEVICE_NAME", "This computer"),
    };
    let mut signed_in = sign_in(&settings, |url| {
        println!("Sign in in your browser:\n{url}\n");
        let opener = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
        // Best effort: the URL is printed for when no browser opens.
        let _ = std::process::Command::new(opener).arg(&url).spawn();
    })
    .await?;
    println!("Signed in as {} ({})", signed_in.email.as_deref().unwrap_or("?"), signed_in.subject);
    println!(
        "This machine holds seat {} of license {}; works offline until {} (Unix time)",
        signed_in.activation_id, signed_in.certificate.lic, signed_in.certificate.exp
    );
    refresh(&settings, &mut signed_in).await?;
    println!("Refreshed: entitlements {:?}", signed_in.certificate.ent);
    Ok(())
}
