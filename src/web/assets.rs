//! The pages' own stylesheet and scripts, compiled into the binary: no CDN,
//! nothing fetched from elsewhere. Their paths carry a hash of their
//! content, so they can be cached for good and still change with a release.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

const CSS: &str = include_str!("assets/app.css");
const JS: &str = include_str!("assets/app.js");
const PASSKEYS_JS: &str = include_str!("assets/passkeys.js");

struct Asset {
    name: &'static str,
    body: &'static str,
    content_type: &'static str,
    path: String,
}

fn asset(name: &'static str, body: &'static str, content_type: &'static str) -> Asset {
    let digest = hex::encode(Sha256::digest(body.as_bytes()));
    let (stem, extension) = name.rsplit_once('.').unwrap_or((name, ""));
    let path = format!("/assets/{stem}.{}.{extension}", digest.get(..12).unwrap_or_default());
    Asset { name, body, content_type, path }
}

static ASSETS: LazyLock<[Asset; 3]> = LazyLock::new(|| {
    [
        asset("app.css", CSS, "text/css; charset=utf-8"),
        asset("app.js", JS, "text/javascript; charset=utf-8"),
        asset("passkeys.js", PASSKEYS_JS, "text/javascript; charset=utf-8"),
    ]
});

/// Where a page links an asset from.
pub fn path(name: &str) -> &'static str {
    ASSETS.iter().find(|asset| asset.name == name).map_or("/assets/missing", |asset| asset.path.as_str())
}

/// `GET /assets/{file}`.
pub async fn serve(Path(file): Path<String>) -> Response {
    let requested = format!("/assets/{file}");
    match ASSETS.iter().find(|asset| asset.path == requested) {
        Some(asset) => {
            let mut response = asset.body.into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
            response
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
